# Determinism: the same config and seed give byte-identical output files. DLASIM, INPUTS (tests/cli/inputs),
# OUT (scratch), WORKDIR.
#   1. `dlasim run` twice: every file of the run directory;
#   2. `dlasim eval` with MCQ weights and activations (seeded sampling) and with multipoint (seeded patch
#      sampling) twice each: eval.json and layers.csv;
#   3. the same sweep with -j 1 and -j 2: sweep.csv, sweep.json and every point's summary.json.
# (Under mpirun: "cli: sweep under mpirun -np 3 merges the same results as a local sweep".)
file(REMOVE_RECURSE "${OUT}")

function(dlasim)
  execute_process(COMMAND ${DLASIM} ${ARGN} WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dlasim ${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
endfunction()

function(same a b)
  file(READ "${a}" ca)
  file(READ "${b}" cb)
  if(NOT ca STREQUAL cb)
    message(FATAL_ERROR "${a} and ${b} differ")
  endif()
endfunction()

dlasim(run configs/default.yaml --out ${OUT}/run_a --quiet)
dlasim(run configs/default.yaml --out ${OUT}/run_b --quiet)
file(GLOB files RELATIVE ${OUT}/run_a ${OUT}/run_a/*)
list(LENGTH files n)
if(n LESS 5)
  message(FATAL_ERROR "run wrote only ${files}")
endif()
foreach(f ${files})
  if(NOT IS_DIRECTORY ${OUT}/run_a/${f})
    same(${OUT}/run_a/${f} ${OUT}/run_b/${f})
  endif()
endforeach()

set(mcq --set quant.weights.format=int8-pc --set quant.activations.format=int8 --set quant.method.name=mcq
        --set quant.method.mcq_activations=true)
set(multipoint --set quant.weights.format=int4-pc --set quant.activations.format=int8 --set quant.method.name=multipoint)
foreach(method mcq multipoint)
  foreach(copy a b)
    dlasim(eval ${INPUTS}/fmnist_small.yaml ${${method}} --out ${OUT}/eval_${method}_${copy} --quiet)
  endforeach()
  foreach(f eval.json layers.csv)
    same(${OUT}/eval_${method}_a/${f} ${OUT}/eval_${method}_b/${f})
  endforeach()
endforeach()

dlasim(sweep ${INPUTS}/sweep_tiny.yaml -j 1 --out ${OUT}/sweep_j1)
dlasim(sweep ${INPUTS}/sweep_tiny.yaml -j 2 --out ${OUT}/sweep_j2)
foreach(f sweep.csv sweep.json)
  same(${OUT}/sweep_j1/${f} ${OUT}/sweep_j2/${f})
endforeach()
file(GLOB points RELATIVE ${OUT}/sweep_j1/points ${OUT}/sweep_j1/points/*)
foreach(p ${points})
  same(${OUT}/sweep_j1/points/${p}/summary.json ${OUT}/sweep_j2/points/${p}/summary.json)
endforeach()
