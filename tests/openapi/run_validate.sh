#!/usr/bin/env bash
# ctest's openapi_validate: runs validate.mjs with this folder's node_modules,
# following the missing-tool rule (tests/support/missing_tool.h): without
# Node or the npm packages the check is skipped (exit 77), and fails under
# CI=true.
set -u
here=$(cd "$(dirname "$0")" && pwd)
missing() {
  if [[ ${CI:-} == true ]]; then
    echo "openapi_validate: $1 (CI=true: a missing tool fails)" >&2
    exit 1
  fi
  echo "openapi_validate: skipped: $1" >&2
  exit 77
}
command -v node >/dev/null 2>&1 || missing "node is not installed (scripts/setup)"
[[ -d $here/node_modules/ajv ]] || missing "npm packages missing: run scripts/setup (npm ci in tests/openapi)"
args=("$1")
[[ -n ${2:-} ]] && args+=("$2")
[[ ${SWITCHBOARD_OPENAPI_REQUIRE_EVERY_ROUTE:-} == 1 ]] && args+=(--require-every-route)
exec node "$here/validate.mjs" "${args[@]}"
