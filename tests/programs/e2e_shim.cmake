# The protection-key shim is invisible in a trace: the "set" variant of
# pkey_loop (2N pkey_set calls) and the "none" variant (no calls) are traced
# and replayed over their region of interest; the "set" trace must hold
# exactly 2N WRPKRU records and at most 8 instructions per call more (the
# program's own: arguments, call, PLT jump, reloads after the call; the shim
# added about 77 before it was made invisible), and the one pkey_mprotect and two mprotect
# calls exactly once each (not the shim's mprotect as well: the "set" run has
# as many mprotects as the "none" run).
#   -DTRACER=... -DPKUSIM=... -DPROGRAM=... -DWORK=... -DN=...
file(MAKE_DIRECTORY ${WORK})
foreach(variant set none)
  execute_process(COMMAND ${TRACER} -o ${WORK}/loop-${variant}.lackey ${PROGRAM} ${N} ${variant}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tracing failed (${rc}):\n${out}\n${err}")
  endif()
  execute_process(COMMAND ${PKUSIM} run --functional -q --json ${WORK}/loop-${variant}.json
                          ${WORK}/loop-${variant}.lackey RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "replay failed (${rc}): ${err}")
  endif()
  file(READ ${WORK}/loop-${variant}.json report)
  string(JSON roi_${variant} GET "${report}" roi stats processes 0 instructions)
  string(JSON wrpkru_${variant} GET "${report}" roi stats processes 0 pkru wrpkru)
  string(JSON all_${variant} GET "${report}" stats processes 0)
  string(JSON pm_${variant} GET "${all_${variant}}" syscalls pkey_mprotect calls)
  string(JSON mp_${variant} GET "${all_${variant}}" syscalls mprotect calls)
  string(JSON allocs_${variant} GET "${all_${variant}}" syscalls pkey_alloc calls)
  string(JSON shim_${variant} GET "${report}" inputs 0 counters shim_lines)
endforeach()
math(EXPR calls "2 * ${N}")
math(EXPR extra "${roi_set} - ${roi_none}")
math(EXPR budget "8 * ${calls}")
message(STATUS "region of interest: ${roi_set} instructions with ${calls} pkey_set calls, "
               "${roi_none} without; ${extra} more")
if(shim_set LESS calls)
  message(FATAL_ERROR "the reader dropped only ${shim_set} lines of the shim's work")
endif()
if(NOT wrpkru_set EQUAL calls OR NOT wrpkru_none EQUAL 0)
  message(FATAL_ERROR "expected ${calls} and 0 WRPKRUs in the region, got ${wrpkru_set} and ${wrpkru_none}")
endif()
if(extra LESS calls OR extra GREATER budget)
  message(FATAL_ERROR "the ${calls} calls added ${extra} instructions: expected ${calls} to ${budget} "
                      "(one WRPKRU each and the program's own call); the shim's work is in the trace")
endif()
# The loader's and the program's mprotects are in both; the shim's own
# mprotect (of pkey_mprotect) must not be in the "set" trace.
if(NOT pm_set EQUAL 1 OR NOT allocs_set EQUAL 1 OR NOT pm_none EQUAL 0 OR NOT allocs_none EQUAL 0
   OR NOT mp_set EQUAL mp_none OR mp_set LESS 2)
  message(FATAL_ERROR "expected 1 pkey_alloc, 1 pkey_mprotect and the same mprotects as without "
                      "keys (${mp_none}); got ${allocs_set}, ${pm_set}, ${mp_set}")
endif()
