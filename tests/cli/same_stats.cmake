# A trace and its conversion replay to the same statistics: runs `pkusim run`
# on IN and on OUT (made by `pkusim convert IN OUT`) and compares the JSON
# reports' "stats" and "first_faults" (the inputs differ by name and format).
#   -DPKUSIM=... -DIN=... -DOUT=... [-DARGS=a|b]
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${PKUSIM} convert ${IN} ${OUT} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "convert ${IN} ${OUT} failed (${rc}): ${err}")
endif()
set(A ${IN})
set(B ${OUT})
foreach(which A B)
  execute_process(COMMAND ${PKUSIM} run -q ${args} --json ${OUT}.${which}.json ${${which}}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run ${${which}} failed (${rc}): ${err}")
  endif()
  file(READ ${OUT}.${which}.json report)
  string(JSON stats_${which} GET "${report}" stats)
  string(JSON faults_${which} GET "${report}" first_faults)
endforeach()
if(NOT stats_A STREQUAL stats_B OR NOT faults_A STREQUAL faults_B)
  message(FATAL_ERROR "${IN} and its conversion ${OUT} replay differently:\n"
                      "  diff ${OUT}.A.json ${OUT}.B.json")
endif()
string(JSON instructions GET "${stats_A}" total instructions)
string(JSON faults GET "${stats_A}" processes 0 faults total)
message(STATUS "same statistics: ${instructions} instructions, ${faults} faults")
