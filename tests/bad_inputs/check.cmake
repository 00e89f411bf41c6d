# Runs one bad-input case (tests/bad_inputs/cases.cmake): ARGS (a ;-list, first element the program) in
# WORKDIR, then checks that
#   - the exit code is EXPECT_CODE (a signal is reported by CMake as text, e.g. "Segmentation fault": a failure),
#   - stdout/stderr carry no crash marker (terminate called, Segmentation, AddressSanitizer, core dumped, ...),
#   - stderr has the classified error prefix "dlasim: config error: " or "dlasim: input error: " and matches
#     EXPECT_STDERR (the file and the key/line/column/node),
#   - ABSENT (a fresh output path, removed before the run) does not exist afterwards: nothing half-written.
separate_arguments(cmd UNIX_COMMAND "${ARGS}")
if(DEFINED ABSENT)
  file(REMOVE_RECURSE "${ABSENT}")
endif()
execute_process(COMMAND ${cmd} WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(report "command: ${ARGS}\nexit: ${rc}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "crashed (not an exit code)\n${report}")
endif()
foreach(marker "terminate called" "Segmentation" "AddressSanitizer" "UndefinedBehaviorSanitizer" "runtime error:"
               "core dumped" "Aborted" "Assertion")
  string(FIND "${err}${out}" "${marker}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "crash marker '${marker}' in the output\n${report}")
  endif()
endforeach()
if(NOT "${rc}" STREQUAL "${EXPECT_CODE}")
  message(FATAL_ERROR "expected exit code ${EXPECT_CODE}, got ${rc}\n${report}")
endif()
if(NOT err MATCHES "dlasim: (config|input) error: ")
  message(FATAL_ERROR "stderr has no 'dlasim: config error: ' or 'dlasim: input error: ' message\n${report}")
endif()
if(DEFINED EXPECT_STDERR AND NOT err MATCHES "${EXPECT_STDERR}")
  message(FATAL_ERROR "stderr does not match '${EXPECT_STDERR}'\n${report}")
endif()
if(DEFINED ABSENT AND EXISTS "${ABSENT}")
  message(FATAL_ERROR "${ABSENT} exists but the run failed: nothing may be written\n${report}")
endif()
