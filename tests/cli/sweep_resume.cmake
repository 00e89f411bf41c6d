# dlasim sweep end to end: DLASIM (executable), INPUTS (tests/cli/inputs), OUT (scratch directory), WORKDIR.
# 1. the 4-point tiny sweep with -j 2 writes sweep.csv/sweep.json and a point.json per point;
# 2. after deleting one point's directory a rerun runs only that point and merges byte-identical tables;
# 3. a point failing at run time is recorded with its error while the others finish (exit 1); a rerun keeps
#    the record, --retry-failed runs it again.
function(sweep expect_code expect_stdout)
  execute_process(COMMAND ${DLASIM} sweep ${ARGN} WORKING_DIRECTORY "${WORKDIR}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT "${rc}" STREQUAL "${expect_code}" OR NOT out MATCHES "${expect_stdout}")
    message(FATAL_ERROR "dlasim sweep ${ARGN}: expected exit ${expect_code} and stdout matching '${expect_stdout}', "
                        "got ${rc}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  set(last_stderr "${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${OUT}")
sweep(0 "4 points, 4 ok, 0 failed; 0 already recorded, 4 run" ${INPUTS}/sweep_tiny.yaml -j 2 --out ${OUT}/tiny)
file(READ "${OUT}/tiny/sweep.csv" csv1)
file(READ "${OUT}/tiny/sweep.json" json1)
if(NOT csv1 MATCHES "^index,id,arch.lanes,quant.weights.bits,status,exit_code,design_label,design_cycles,design_energy_pj,design_area_um2,design_sqnr_db,[^\n]*\n0,p000-8_4,8,4,ok,0,W4/A4/4/6,[0-9]+,[^\n]*\n1,p001-8_6,8,6,ok,0,W6/A4/4/6,[^\n]*\n2,p002-16_4,16,4,ok,[^\n]*\n3,p003-16_6,16,6,ok,[^\n]*\n$")
  message(FATAL_ERROR "unexpected sweep.csv:\n${csv1}")
endif()
foreach(id p000-8_4 p001-8_6 p002-16_4 p003-16_6)
  if(NOT EXISTS "${OUT}/tiny/points/${id}/point.json" OR NOT EXISTS "${OUT}/tiny/points/${id}/summary.json")
    message(FATAL_ERROR "missing point.json or summary.json of ${id}")
  endif()
endforeach()
file(TIMESTAMP "${OUT}/tiny/points/p000-8_4/summary.json" kept_before "%Y%m%d%H%M%S")

file(REMOVE_RECURSE "${OUT}/tiny/points/p002-16_4")
execute_process(COMMAND ${CMAKE_COMMAND} -E sleep 1)
sweep(0 "4 points, 4 ok, 0 failed; 3 already recorded, 1 run" ${INPUTS}/sweep_tiny.yaml -j 2 --out ${OUT}/tiny)
file(READ "${OUT}/tiny/sweep.csv" csv2)
file(READ "${OUT}/tiny/sweep.json" json2)
if(NOT csv1 STREQUAL csv2 OR NOT json1 STREQUAL json2)
  message(FATAL_ERROR "sweep.csv/sweep.json differ after the resumed run:\n${csv1}\n---\n${csv2}")
endif()
file(TIMESTAMP "${OUT}/tiny/points/p000-8_4/summary.json" kept_after "%Y%m%d%H%M%S")
if(NOT kept_before STREQUAL kept_after OR NOT EXISTS "${OUT}/tiny/points/p002-16_4/point.json")
  message(FATAL_ERROR "the rerun touched a finished point or did not redo the deleted one")
endif()

sweep(1 "3 points, 2 ok, 1 failed; 0 already recorded, 3 run" ${INPUTS}/sweep_fail.yaml -j 2 --out ${OUT}/fail)
if(NOT last_stderr MATCHES "sweep fail: point p001-0.01 failed: dlasim: error: layer 'conv1' cannot be tiled")
  message(FATAL_ERROR "stderr does not name the failed point:\n${last_stderr}")
endif()
file(READ "${OUT}/fail/points/p001-0.01/point.json" pj)
if(NOT pj MATCHES "\"status\": \"failed\",\n  \"exit_code\": 1,\n  \"signal\": null,\n  \"error\": \"dlasim: error: layer 'conv1' cannot be tiled")
  message(FATAL_ERROR "unexpected point.json of the failed point:\n${pj}")
endif()
file(READ "${OUT}/fail/sweep.csv" csv)
if(NOT csv MATCHES "\n0,p000-64,64,ok,0,W4[^\n]*\n1,p001-0.01,0.01,failed,1,,,,,,,,,,,,,,,,\n2,p002-32,32,ok,0,W4")
  message(FATAL_ERROR "unexpected sweep.csv of the failing sweep:\n${csv}")
endif()
sweep(1 "3 points, 2 ok, 1 failed; 3 already recorded, 0 run" ${INPUTS}/sweep_fail.yaml -j 2 --out ${OUT}/fail)
sweep(1 "3 points, 2 ok, 1 failed; 2 already recorded, 1 run" ${INPUTS}/sweep_fail.yaml --retry-failed --out ${OUT}/fail)

# 4. a quant.*-only sweep simulates the baseline once (DIR/baseline) and writes the same outputs as
#    --baseline-per-point, byte for byte.
sweep(0 "2 points, 2 ok, 0 failed; 0 already recorded, 2 run" ${INPUTS}/sweep_quant.yaml -j 2 --out ${OUT}/shared)
sweep(0 "2 points, 2 ok, 0 failed; 0 already recorded, 2 run" ${INPUTS}/sweep_quant.yaml --baseline-per-point -j 2
      --out ${OUT}/own)
if(NOT EXISTS "${OUT}/shared/baseline/baseline.json" OR EXISTS "${OUT}/own/baseline")
  message(FATAL_ERROR "the shared baseline was not run once, or was run with --baseline-per-point")
endif()
foreach(f sweep.csv sweep.json points/p000-3/summary.json points/p001-5/summary.json points/p001-5/layers.csv
          points/p001-5/energy.csv points/p001-5/area.csv)
  file(READ "${OUT}/shared/${f}" a)
  file(READ "${OUT}/own/${f}" b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${f} differs between the shared baseline and a baseline per point")
  endif()
endforeach()
