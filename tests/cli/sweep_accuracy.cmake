# An accuracy sweep end to end: DLASIM, INPUTS (tests/cli/inputs), OUT (scratch), WORKDIR.
# Both points run `dlasim run` and `dlasim eval` (eval.json), sweep.csv gains the top-1 columns, and
# `dlasim report` draws energy against accuracy loss.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND ${DLASIM} sweep ${INPUTS}/sweep_accuracy.yaml -j 2 --out ${OUT} WORKING_DIRECTORY "${WORKDIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "2 points, 2 ok, 0 failed")
  message(FATAL_ERROR "sweep: exit ${rc}\n${out}\n${err}")
endif()
file(READ "${OUT}/sweep.csv" csv)
if(NOT csv MATCHES "achieved_tops_per_mm2_ratio,top1,fp32_top1,top1_drop_pt,weight_bits\n0,p000-int4-pc_int8_none,[^\n]*,0\\.[0-9]+,0\\.[0-9]+,[-0-9.e]+,[0-9.]+\n1,p001-int4-pc_int8_mcq,[^\n]*,0\\.[0-9]+,0\\.[0-9]+,[-0-9.e]+,[0-9.]+\n$")
  message(FATAL_ERROR "unexpected sweep.csv:\n${csv}")
endif()
foreach(id p000-int4-pc_int8_none p001-int4-pc_int8_mcq)
  if(NOT EXISTS "${OUT}/points/${id}/eval.json" OR NOT EXISTS "${OUT}/points/${id}/summary.json")
    message(FATAL_ERROR "point ${id}: eval.json or summary.json missing")
  endif()
endforeach()
execute_process(COMMAND ${DLASIM} report ${OUT} WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "energy_vs_accuracy")
  message(FATAL_ERROR "report: exit ${rc}\n${out}\n${err}")
endif()
