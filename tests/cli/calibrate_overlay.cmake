# pkusim calibrate --from a recorded host writes an overlay and a CSV; the
# overlay runs a trace with -c, and config describe -c shows where each
# calibrated value comes from.
set(overlay ${WORK}/calibrated.json)
file(REMOVE ${overlay})
execute_process(COMMAND ${PKUSIM} calibrate -q --from docs/calibration/epyc-kvm.hostbench.json
                        -o ${overlay} --csv ${WORK}/calibrated.csv
                WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "calibrate failed (${rc}):\n${out}\n${err}")
endif()
string(FIND "${out}" "measured points within 25% of the host" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "no summary line:\n${out}")
endif()
file(STRINGS ${WORK}/calibrated.csv rows)
list(LENGTH rows n)
if(n LESS 50)
  message(FATAL_ERROR "the CSV has ${n} lines")
endif()
execute_process(COMMAND ${PKUSIM} run -q -c ${overlay} traces/examples/secret-key.trace
                WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "run -c overlay failed (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${PKUSIM} config describe -c ${overlay}
                WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(FIND "${out}" "source of this value: measured on AMD EPYC" pos)
if(NOT rc EQUAL 0 OR pos EQUAL -1)
  message(FATAL_ERROR "config describe -c overlay (${rc}) shows no measured source:\n${err}")
endif()
# The study runs on the overlay with -c (the spec's own config replaced).
file(REMOVE_RECURSE ${WORK}/study-on-overlay)
execute_process(COMMAND ${PKUSIM} study tests/study/small.json -c ${overlay} --no-plots -q
                        -o ${WORK}/study-on-overlay
                WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ ${WORK}/study-on-overlay/summary.txt summary)
string(FIND "${summary}" "runs on ${overlay}," pos)
if(NOT rc EQUAL 0 OR pos EQUAL -1)
  message(FATAL_ERROR "study -c overlay (${rc}) did not run on it:\n${summary}\n${err}")
endif()
