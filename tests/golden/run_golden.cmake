# Runs one golden case (see runs.txt) and compares its JSON, CSV and text
# with the stored ones byte for byte; with -DUPDATE=1 stores them instead.
#   -DPKUSIM=... -DSOURCE=... -DNAME=... -DARGS=a;b;c -DOUT=dir [-DUPDATE=1]
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${PKUSIM} run ${ARGS} --json ${OUT}/${NAME}.json --csv ${OUT}/${NAME}.csv
                WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc OUTPUT_FILE ${OUT}/${NAME}.txt
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkusim run ${ARGS} failed (${rc}): ${err}")
endif()
foreach(ext json csv txt)
  set(golden ${SOURCE}/tests/golden/${NAME}.${ext})
  if(UPDATE)
    file(COPY_FILE ${OUT}/${NAME}.${ext} ${golden})
    continue()
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/${NAME}.${ext} ${golden}
                  RESULT_VARIABLE differ)
  if(NOT differ EQUAL 0)
    message(FATAL_ERROR "${NAME}.${ext} differs from tests/golden/${NAME}.${ext}:\n"
                        "  diff ${OUT}/${NAME}.${ext} ${golden}\n"
                        "If the change is intended, run tools/update-golden.sh and review the diff.")
  endif()
endforeach()
