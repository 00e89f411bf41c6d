# dlasim sweep under mpirun (Boost.MPI, Open MPI): DLASIM, MPIRUN, SWEEP (a sweep file), OUT, WORKDIR.
# The same sweep run locally and with `mpirun --oversubscribe -np 3` merges into byte-identical sweep.csv and
# sweep.json (rank 0 merges after every rank's points are on disk; one shared baseline).
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND ${DLASIM} sweep ${SWEEP} -j 2 --out ${OUT}/local WORKING_DIRECTORY "${WORKDIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "local sweep failed (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${MPIRUN} --oversubscribe --allow-run-as-root -np 3 ${DLASIM} sweep ${SWEEP} -j 1
                        --out ${OUT}/mpi
                WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "9 points, 9 ok, 0 failed; 0 already recorded, 9 run")
  message(FATAL_ERROR "mpirun sweep failed (${rc}):\n${out}\n${err}")
endif()
foreach(f sweep.csv sweep.json)
  file(READ "${OUT}/local/${f}" local)
  file(READ "${OUT}/mpi/${f}" mpi)
  if(NOT local STREQUAL mpi)
    message(FATAL_ERROR "${f} differs between the local and the mpirun sweep:\n${local}\n---\n${mpi}")
  endif()
endforeach()
if(EXISTS "${OUT}/mpi/baseline.shard1" OR NOT EXISTS "${OUT}/mpi/baseline/baseline.json")
  message(FATAL_ERROR "expected one shared baseline run by rank 0")
endif()
