# pkusim validate --scale 0.02 on two use cases: exit 0, a CSV row per
# workload and variant, a simulated result for every variant that can be
# traced, and the reason for the watchpoint's WRPKRU variant, which cannot.
set(csv ${WORK}/validate.csv)
file(REMOVE ${csv})
execute_process(COMMAND ${PKUSIM} validate -q --workloads crypto-key,watchpoint
                        --variants mprotect,wrpkru --scale 0.02 --repeat 1 --csv ${csv} -j 2
                WORKING_DIRECTORY ${SOURCE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "validate failed (${rc}):\n${out}\n${err}")
endif()
file(STRINGS ${csv} rows)
list(LENGTH rows n)
if(NOT n EQUAL 7)
  message(FATAL_ERROR "expected a header and 6 rows, got ${n}:\n${rows}")
endif()
# workload,variant,operations,switches,native_ns,native_median_ns,native_none_ns,simulated_ns,
# native_overhead_per_switch_ns,simulated_overhead_per_switch_ns,...
foreach(want "crypto-key,none" "crypto-key,mprotect" "crypto-key,wrpkru" "watchpoint,mprotect")
  string(REGEX MATCH "${want},[0-9]+,[0-9]+,[^,]*,[^,]*,[^,]*,[0-9.e+-]+," hit "${rows}")
  if(hit STREQUAL "")
    message(FATAL_ERROR "no simulated result for ${want}:\n${out}")
  endif()
endforeach()
string(FIND "${out}" "watchpoint wrpkru simulated: under valgrind the keys do not protect" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "the untraceable case does not say why:\n${out}")
endif()
string(FIND "${out}" "crypto-key  mprotect" row)
if(row EQUAL -1)
  message(FATAL_ERROR "no table row:\n${out}")
endif()
