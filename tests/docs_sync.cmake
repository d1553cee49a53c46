# A generated section of a document must be exactly what pkusim prints now:
# the text between "<!-- BEGIN generated: pkusim ARGS -->" and
# "<!-- END generated -->" in DOC equals the output of `PKUSIM ARGS`.
# tools/update-docs.sh regenerates every such section.
#   -DPKUSIM=... -DDOC=... -DARGS="config;describe;--markdown"
execute_process(COMMAND ${PKUSIM} ${ARGS} OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkusim ${ARGS} failed (${rc})")
endif()
string(REPLACE ";" " " args_text "${ARGS}")
set(begin "<!-- BEGIN generated: pkusim ${args_text} -->\n")
set(end "<!-- END generated -->")
file(READ ${DOC} doc)
string(FIND "${doc}" "${begin}" b)
if(b EQUAL -1)
  message(FATAL_ERROR "${DOC} has no section \"${begin}\"")
endif()
string(LENGTH "${begin}" blen)
math(EXPR start "${b} + ${blen}")
string(SUBSTRING "${doc}" ${start} -1 rest)
string(FIND "${rest}" "${end}" e)
if(e EQUAL -1)
  message(FATAL_ERROR "${DOC}: the generated section has no end marker")
endif()
string(SUBSTRING "${rest}" 0 ${e} section)
if(NOT section STREQUAL generated)
  message(FATAL_ERROR "${DOC} is out of date with `pkusim ${args_text}`: run tools/update-docs.sh")
endif()
