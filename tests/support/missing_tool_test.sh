#!/usr/bin/env bash
# The missing-tool rule (missing_tool.h) on real test binaries: a test whose
# tool is missing is skipped, and fails under CI=true.
#
#   missing_tool_test.sh HTTP_TEST STORAGE_TEST
#
# curl is hidden by running HTTP_TEST with a PATH that holds nothing;
# PostgreSQL by running STORAGE_TEST without SWITCHBOARD_TEST_POSTGRES_URL.
set -uo pipefail
http_test=$1
storage_test=$2
curl_test=HttpServerTest.RealClientReusesOneConnection
postgres_test='Backends/StorageTest.ReleasedSessionIsReused/postgresql'

empty_path=$(mktemp -d)
trap 'rm -rf "$empty_path"' EXIT
failures=0

# expect NAME STATUS TEXT COMMAND...: COMMAND exits with STATUS (0, or
# "nonzero") and prints TEXT.
expect() {
  local name=$1 status=$2 text=$3 output rc
  shift 3
  output=$("$@" 2>&1)
  rc=$?
  if [[ "$status" == nonzero && $rc -eq 0 ]] || [[ "$status" == 0 && $rc -ne 0 ]]; then
    echo "FAIL $name: exit status $rc, expected $status"
    failures=$((failures + 1))
  elif [[ "$output" != *"$text"* ]]; then
    echo "FAIL $name: output lacks '$text'"
    failures=$((failures + 1))
  else
    echo "ok   $name"
    return 0
  fi
  printf '%s\n' "$output" | tail -n 20
}

expect "no curl, CI=true: fails" nonzero \
  "curl is not installed (CI=true: a missing tool fails the run" \
  env -i PATH="$empty_path" CI=true "$http_test" --gtest_filter="$curl_test"
expect "no curl, CI=TRUE: fails" nonzero "curl is not installed" \
  env -i PATH="$empty_path" CI=TRUE "$http_test" --gtest_filter="$curl_test"
expect "no curl, CI unset: skipped" 0 "[  SKIPPED ] $curl_test" \
  env -i PATH="$empty_path" "$http_test" --gtest_filter="$curl_test"
expect "no curl, CI=false: skipped" 0 "[  SKIPPED ] $curl_test" \
  env -i PATH="$empty_path" CI=false "$http_test" --gtest_filter="$curl_test"
# The same test passes once curl is found: it failed for the missing tool.
if command -v curl >/dev/null; then
  expect "curl on PATH, CI=true: passes" 0 "[       OK ] $curl_test" \
    env CI=true "$http_test" --gtest_filter="$curl_test"
fi

expect "no PostgreSQL, CI=true: fails" nonzero \
  "no PostgreSQL: SWITCHBOARD_TEST_POSTGRES_URL is not set" \
  env -u SWITCHBOARD_TEST_POSTGRES_URL CI=true "$storage_test" --gtest_filter="$postgres_test"
expect "no PostgreSQL, CI unset: skipped" 0 "[  SKIPPED ] $postgres_test" \
  env -u SWITCHBOARD_TEST_POSTGRES_URL -u CI "$storage_test" --gtest_filter="$postgres_test"

exit $((failures > 0))
