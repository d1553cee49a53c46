# The shared differential-test library: reference model, random stream
# generator, and the side-by-side runner. Included from
# tests/differential/CMakeLists.txt and tools/difftest/CMakeLists.txt; the
# guard defines the target once whichever comes first (and whether or not the
# tests are built).
include_guard(GLOBAL)

add_library(pkusim_difftest STATIC
  ${CMAKE_CURRENT_LIST_DIR}/reference_model.cc
  ${CMAKE_CURRENT_LIST_DIR}/generator.cc
  ${CMAKE_CURRENT_LIST_DIR}/difftest.cc)
target_include_directories(pkusim_difftest PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pkusim_difftest PUBLIC pkusim_sim fmt::fmt)
