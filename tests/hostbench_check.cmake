# pkusim-hostbench --quick runs on this host and writes a report of the
# documented schema with at least one measured point; what the host lacks
# (PKU, a second CPU, THP) is listed as missing, not failed. No timing is
# checked.   -DHOSTBENCH=... -DOUT=...
execute_process(COMMAND ${HOSTBENCH} --quick -o ${OUT} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkusim-hostbench --quick failed (${rc}): ${err}")
endif()
file(READ ${OUT} report)
string(JSON schema GET "${report}" schema)
string(JSON results LENGTH "${report}" results)
string(JSON unit GET "${report}" results 0 unit)
string(JSON median GET "${report}" results 0 median)
if(NOT schema STREQUAL "pkusim.hostbench" OR results LESS 1 OR unit STREQUAL "" OR median LESS_EQUAL 0)
  message(FATAL_ERROR "unexpected report: schema ${schema}, ${results} results, first ${unit} ${median}")
endif()
message(STATUS "${results} points measured")
