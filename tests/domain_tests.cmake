# Tests of the core domain layer: brokers, fleets, devices, provisioning keys,
# registration (included from tests/CMakeLists.txt).

# A fixture resolver that reads the database through the host's session
# (tests/core/domain_fixture_resolver.cc), written to <build>/domain-test-plugins
# so no deployment can pick it up.
set(SWITCHBOARD_DOMAIN_FIXTURE_DIR ${PROJECT_BINARY_DIR}/domain-test-plugins)
add_library(domain_fixture_resolver MODULE core/domain_fixture_resolver.cc)
switchboard_warnings(domain_fixture_resolver)
target_link_libraries(domain_fixture_resolver PRIVATE switchboard_core)
set_target_properties(domain_fixture_resolver PROPERTIES
  OUTPUT_NAME domain_fixture
  LIBRARY_OUTPUT_DIRECTORY ${SWITCHBOARD_DOMAIN_FIXTURE_DIR}
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)

# Like switchboard_test, without the dependency on the `switchboard` binary
# (these tests never spawn it), so they build while the server is mid-change.
add_executable(domain_test
  core/brokers_test.cc
  core/fleets_devices_test.cc
  core/provisioning_keys_test.cc
  core/registration_test.cc)
switchboard_warnings(domain_test)
target_link_libraries(domain_test PRIVATE switchboard_test_support GTest::gtest_main GTest::gmock)
add_dependencies(domain_test switchboard_plugins domain_fixture_resolver)
target_compile_definitions(domain_test PRIVATE
  SWITCHBOARD_DOMAIN_FIXTURE_DIR="${SWITCHBOARD_DOMAIN_FIXTURE_DIR}")
gtest_discover_tests(domain_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
