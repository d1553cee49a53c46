# Project-wide compile options, applied through the pkusim_options interface target.
add_library(pkusim_options INTERFACE)
target_compile_options(pkusim_options INTERFACE -Wall -Wextra -Wpedantic)
if(PKUSIM_WERROR)
  target_compile_options(pkusim_options INTERFACE -Werror)
endif()
if(PKUSIM_SANITIZE)
  target_compile_options(pkusim_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(pkusim_options INTERFACE -fsanitize=address,undefined)
endif()
if(PKUSIM_FUZZ)
  target_compile_options(pkusim_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(pkusim_options INTERFACE -fsanitize=address,undefined)
endif()
