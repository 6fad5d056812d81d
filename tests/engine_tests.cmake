# Tests of the resolver engine and the built-in plugins (included from
# tests/CMakeLists.txt).

add_subdirectory(plugins/fixtures)

# switchboard_engine_test(<name> <sources...>): a switchboard_test that also
# needs the fixture plugins of tests/plugins/fixtures.
function(switchboard_engine_test name)
  switchboard_test(${name} ${ARGN})
  add_dependencies(${name} switchboard_test_plugins)
  target_compile_definitions(${name} PRIVATE
    SWITCHBOARD_TEST_PLUGIN_DIR="${SWITCHBOARD_TEST_PLUGIN_OUTPUT_DIR}")
endfunction()

switchboard_engine_test(params_test core/params_test.cc)
switchboard_engine_test(plugin_loader_test core/plugin_loader_test.cc)
switchboard_engine_test(chain_test core/chain_test.cc)
switchboard_engine_test(chain_reload_test core/chain_reload_test.cc)

switchboard_engine_test(device_test plugins/device_test.cc)
switchboard_engine_test(fleet_test plugins/fleet_test.cc)
switchboard_engine_test(default_test plugins/default_test.cc)
switchboard_engine_test(regional_test plugins/regional_test.cc)
target_include_directories(regional_test PRIVATE ${PROJECT_SOURCE_DIR}/plugins/regional)
switchboard_engine_test(env_test plugins/env_test.cc)
switchboard_engine_test(seed_priority_test plugins/seed_priority_test.cc)
switchboard_engine_test(resolve_context_test core/resolve_context_test.cc)
switchboard_engine_test(broker_rows_test core/broker_rows_test.cc)
switchboard_engine_test(docs_examples_test plugins/docs_examples_test.cc)
switchboard_engine_test(out_of_tree_example_test plugins/out_of_tree_example_test.cc)
switchboard_engine_test(explain_json_test server/explain_json_test.cc)
target_link_libraries(explain_json_test PRIVATE switchboard_server)
switchboard_engine_test(cli_resolve_test server/cli_resolve_test.cc)
