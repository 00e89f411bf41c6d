# Runs DLASIM on CONFIG into OUT and diffs OUT/summary.json with EXPECTED.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${DLASIM}" run "${CONFIG}" --out "${OUT}" --quiet
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dlasim run ${CONFIG} exited with ${rc}:\n${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}/summary.json" "${EXPECTED}" RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  execute_process(COMMAND diff -u "${EXPECTED}" "${OUT}/summary.json")
  message(FATAL_ERROR "${OUT}/summary.json differs from ${EXPECTED} (see the diff above)")
endif()
