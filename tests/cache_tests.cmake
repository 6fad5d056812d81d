# Tests of the broker/fleet cache and the prepared-statement cache (issue 5,
# docs/caching.md); included from tests/CMakeLists.txt.

switchboard_engine_test(config_snapshot_test core/config_snapshot_test.cc)
switchboard_test(cache_consistency_test integration/cache_consistency_test.cc)
