# ctest "fuzz: <target> smoke" (fuzz/smoke_tests.cmake): runs FUZZER for 20000 inputs (at most 30 s) on a
# fresh copy of CORPUS in SCRATCH, so new corpus entries and crash artifacts stay out of the source tree.
# cmake -DFUZZER=<binary> -DCORPUS=<dir> -DSCRATCH=<dir> -P smoke.cmake
foreach(v FUZZER CORPUS SCRATCH)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "smoke.cmake: -D${v}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${FUZZER}")
  message(FATAL_ERROR "smoke.cmake: ${FUZZER} does not exist (the fuzz-build step did not build it)")
endif()
file(REMOVE_RECURSE "${SCRATCH}")
file(MAKE_DIRECTORY "${SCRATCH}/artifacts")
file(COPY "${CORPUS}/" DESTINATION "${SCRATCH}/corpus")
execute_process(
  COMMAND "${FUZZER}" -runs=20000 -max_total_time=30 -timeout=10 -rss_limit_mb=2048
          "-artifact_prefix=${SCRATCH}/artifacts/" "${SCRATCH}/corpus"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "smoke.cmake: ${FUZZER} failed (exit ${rc}); the crashing input is in ${SCRATCH}/artifacts/")
endif()
