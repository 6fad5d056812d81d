# cmake -DEXECUTABLE=<test binary> -DOUTPUT=<file> -P gtest_suites.cmake
#
# Writes the GoogleTest suites of EXECUTABLE to OUTPUT as two CMake lists,
# `switchboard_suites` and `switchboard_suite_cases` (how many cases each
# has), for the ctest file switchboard_gtest_tests (tests/CMakeLists.txt)
# writes when tests run one process per suite. Run after each link, as
# gtest_discover_tests runs its own listing.
execute_process(COMMAND "${EXECUTABLE}" --gtest_list_tests
                OUTPUT_VARIABLE listing
                RESULT_VARIABLE status
                TIMEOUT 60)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${EXECUTABLE} --gtest_list_tests failed (${status}):\n${listing}")
endif()

set(suites "")
set(cases "")
set(suite "")
set(count 0)
string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  # A suite line is unindented and ends with its dot (then maybe a
  # "# TypeParam" comment); a case line is indented. gtest_main's "Running
  # main() from …" is neither. Disabled suites and cases never run.
  if(line MATCHES "^([A-Za-z_][A-Za-z0-9_/]*)\\.( .*)?$")
    if(NOT suite STREQUAL "" AND count GREATER 0)
      list(APPEND suites "${suite}")
      list(APPEND cases ${count})
    endif()
    set(suite "${CMAKE_MATCH_1}")
    set(count 0)
    if(suite MATCHES "(^|/)DISABLED_")
      set(suite "")
    endif()
  elseif(line MATCHES "^  ([A-Za-z0-9_/]+)" AND NOT CMAKE_MATCH_1 MATCHES "^DISABLED_")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(NOT suite STREQUAL "" AND count GREATER 0)
  list(APPEND suites "${suite}")
  list(APPEND cases ${count})
endif()

file(WRITE "${OUTPUT}.new" "set(switchboard_suites [==[${suites}]==])\n"
                           "set(switchboard_suite_cases [==[${cases}]==])\n")
file(RENAME "${OUTPUT}.new" "${OUTPUT}")
