# End to end: trace a C program that uses glibc's protection-key API with
# pkusim-trace-program (valgrind lackey + the emulating shim), replay the
# trace, and check that it faults exactly where a PKU machine would.
#   -DTRACER=... -DPKUSIM=... -DPROGRAM=... -DWORK=... -DEXPECT=crypto|fault
file(MAKE_DIRECTORY ${WORK})
get_filename_component(name ${PROGRAM} NAME)
execute_process(COMMAND ${TRACER} -o ${WORK}/${name}.lackey ${PROGRAM}
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tracing failed (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${PKUSIM} run --functional --quiet --json ${WORK}/${name}.json
                        ${WORK}/${name}.lackey RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "replay failed (${rc}): ${err}")
endif()
file(READ ${WORK}/${name}.json report)
string(JSON proc GET "${report}" stats processes 0)
string(JSON faults GET "${proc}" faults total)
string(JSON wrpkru GET "${proc}" pkru wrpkru)
string(JSON allocs GET "${proc}" syscalls pkey_alloc ok)
string(JSON tagged GET "${proc}" syscalls pkey_mprotect ok)
if(NOT allocs EQUAL 1 OR NOT tagged EQUAL 1)
  message(FATAL_ERROR "expected one pkey_alloc and one pkey_mprotect in the trace, got ${allocs}, ${tagged}")
endif()
if(EXPECT STREQUAL "crypto")
  # Opened and closed 8 times after the first close: 17 WRPKRUs, no fault.
  if(NOT faults EQUAL 0 OR NOT wrpkru EQUAL 17)
    message(FATAL_ERROR "crypto-key pattern: expected 0 faults and 17 WRPKRUs, got ${faults}, ${wrpkru}")
  endif()
else()
  # The program printed "pkey K secret 0xADDR leaked 42".
  string(REGEX MATCH "pkey ([0-9]+) secret (0x[0-9a-f]+)" m "${out}")
  set(key ${CMAKE_MATCH_1})
  set(addr ${CMAKE_MATCH_2})
  string(JSON first GET "${report}" first_faults 0)
  string(JSON code GET "${first}" si_code)
  string(JSON pkey GET "${first}" si_pkey)
  string(JSON at GET "${first}" address)
  string(JSON kind GET "${first}" access)
  if(NOT faults EQUAL 1 OR NOT code STREQUAL "SEGV_PKUERR" OR NOT pkey EQUAL key
     OR NOT at STREQUAL addr OR NOT kind STREQUAL "load")
    message(FATAL_ERROR "expected one SEGV_PKUERR load fault at ${addr} with si_pkey ${key}; got "
                        "${faults} fault(s), first: ${first}")
  endif()
endif()
message(STATUS "ok: ${name}")
