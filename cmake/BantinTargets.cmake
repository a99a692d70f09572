# Project-wide INTERFACE targets, linked PRIVATE by every Bantin target.
add_library(bantin_warnings INTERFACE)
target_compile_options(bantin_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wsuggest-override -Wimplicit-fallthrough
  $<$<BOOL:${BANTIN_WERROR}>:-Werror>
  # A unity build (CMAKE_UNITY_BUILD, used for both trees of scripts/test.sh) includes
  # each source into a generated file, where g++ takes a source's own anonymous-namespace types
  # for a header's: the warning is about headers, and nothing here is one.
  $<$<BOOL:${CMAKE_UNITY_BUILD}>:-Wno-subobject-linkage>)

add_library(bantin_sanitizers INTERFACE)
if(BANTIN_SANITIZE)
  target_compile_options(bantin_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(bantin_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# bantin_module(NAME <name> SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
# A library per top-level folder: public headers in include/, alias bantin::<name>.
function(bantin_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(bantin_${name} STATIC ${ARG_SOURCES})
  add_library(bantin::${name} ALIAS bantin_${name})
  target_include_directories(bantin_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                            PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(bantin_${name} PUBLIC ${ARG_PUBLIC_DEPS}
                        PRIVATE ${ARG_PRIVATE_DEPS} bantin_warnings bantin_sanitizers)
  target_link_libraries(bantin_${name} INTERFACE bantin_sanitizers)
endfunction()

# Test code is compiled with -Og in every build type: at -O2 the inlining of Catch's and
# nlohmann-json's templates made the test objects take 309 s to build on 2 cores instead of
# 213, and made nothing the tests check faster. The code under test keeps the build type's
# flags: the libraries are compiled once, by their own targets.
add_library(bantin_test_optimisation INTERFACE)
target_compile_options(bantin_test_optimisation INTERFACE $<$<CONFIG:RelWithDebInfo,Release,MinSizeRel>:-Og>)

# bantin_test(NAME <module> SOURCES ... DEPS ... LABEL unit|integration|e2e|browser)
# With BANTIN_INTEGRATION_TESTS=OFF (the sanitizer pass) only unit tests are built and
# registered; the other targets still exist, outside `all`, so their CMake stays valid.
option(BANTIN_INTEGRATION_TESTS "Build and register integration, e2e and browser tests" ON)
function(bantin_test name)
  cmake_parse_arguments(ARG "" "LABEL;COST" "SOURCES;DEPS" ${ARGN})
  # COST: ctest starts costlier tests first. A fresh clone has no timings from an earlier run
  # (Testing/Temporary/CTestCostData.txt), so without it the slow suites declared last would
  # start last and end alone, minutes after everything else.
  if(NOT ARG_COST)
    set(ARG_COST 0)
  endif()
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  if(NOT ARG_LABEL STREQUAL "unit" AND NOT BANTIN_INTEGRATION_TESTS)
    add_executable(${name} EXCLUDE_FROM_ALL ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_DEPS} bantin_test_main bantin_warnings bantin_sanitizers
                          bantin_test_optimisation)
    return()
  endif()
  # The discovered names go through CMake lists: ';' splits a name, and an unbalanced '[' or
  # ']' keeps every later name of the executable in one list element. Either way ctest then
  # runs test specs that match no case. A name with one of them is refused here, and every
  # discovered test runs with --warn NoTests, so a spec that matches nothing fails instead of
  # passing with "No tests ran".
  foreach(source IN LISTS ARG_SOURCES)
    file(STRINGS ${source} cases REGEX "TEST_CASE\\(\"[^\"]*[][;]")
    if(cases)
      message(FATAL_ERROR "${source}: a TEST_CASE name contains ';', '[' or ']', which ctest cannot run: ${cases}")
    endif()
  endforeach()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} bantin_test_main bantin_warnings bantin_sanitizers
                        bantin_test_optimisation)
  catch_discover_tests(${name} TEST_PREFIX "${name}." EXTRA_ARGS --warn NoTests
                       PROPERTIES LABELS ${ARG_LABEL} COST ${ARG_COST} DISCOVERY_TIMEOUT 60)
endfunction()
