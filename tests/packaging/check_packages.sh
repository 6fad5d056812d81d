#!/usr/bin/env bash
# The Debian packages as a newcomer gets them (scripts/test runs this after
# scripts/package):
#   1. the three packages exist;
#   2. each holds the paths README.md lists (between the package-contents
#      markers), and switchboard-dev holds no binary;
#   3. lintian reports no error;
#   4. systemd-analyze verify accepts both units;
#   5. the server tree extracted with dpkg-deb -x runs check-config on its
#      packaged /etc/switchboard/switchboard.yaml and, started from that
#      tree, serves /readyz;
#   6. docs/examples/geo_resolver builds against the extracted -dev tree
#      (with the SDK library from the server tree).
# Usage: check_packages.sh DIST_DIR. Prints one line per check; exits 1 on
# the first failure, naming it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dist=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/switchboard-packages.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "packages: FAIL: $*" >&2; exit 1; }
ok() { echo "packages: ok: $*"; }

deb() {
  local matches=("$dist"/"$1"_*.deb)
  [[ -f ${matches[0]} ]] || fail "no $1 package in $dist"
  echo "${matches[0]}"
}
server_deb=$(deb switchboard)
dev_deb=$(deb switchboard-dev)
agent_deb=$(deb switchboard-agent)
ok "built: $(basename "$server_deb") $(basename "$dev_deb") $(basename "$agent_deb")"

# 2. Contents as README.md documents them.
expected=$(sed -n '/<!-- package-contents -->/,/<!-- \/package-contents -->/p' "$root/README.md" |
  grep -E '^(switchboard|switchboard-dev|switchboard-agent) +/' || true)
[[ -n $expected ]] || fail "README.md lists no package contents"
# Listings go to files: `producer | grep -q` can fail under pipefail when
# grep stops reading early (SIGPIPE).
for package in switchboard switchboard-dev switchboard-agent; do
  dpkg-deb -c "$(deb "$package")" | awk '{print substr($6, 2)}' | sed 's|/$||' >"$work/$package.list"
done
while read -r package path; do
  grep -qxF "$path" "$work/$package.list" || fail "$package lacks $path (README.md)"
done <<<"$expected"
if grep -qE '\.so$|/bin/' "$work/switchboard-dev.list"; then fail "switchboard-dev holds a binary"; fi
ok "contents as README.md lists them ($(wc -l <<<"$expected") paths)"
dpkg-deb -I "$server_deb" conffiles >"$work/conffiles"
grep -qx /etc/switchboard/switchboard.yaml "$work/conffiles" ||
  fail "/etc/switchboard/switchboard.yaml is not a conffile"
ok "/etc/switchboard/switchboard.yaml is a conffile"

# 3. lintian: no error (warnings are listed for the reader, not fatal).
command -v lintian >/dev/null || fail "lintian is not installed (scripts/setup installs it)"
for file in "$server_deb" "$dev_deb" "$agent_deb"; do
  report=$(lintian --tag-display-limit 0 "$file" 2>&1 || true)
  if grep -q '^E:' <<<"$report"; then
    echo "$report" >&2
    fail "lintian reports errors for $(basename "$file")"
  fi
  warnings=$(grep -c '^W:' <<<"$report" || true)
  ok "lintian: no error in $(basename "$file") ($warnings warnings)"
done

# 4. The units, with the binaries they name in place.
dpkg-deb -x "$server_deb" "$work/server"
dpkg-deb -x "$agent_deb" "$work/agent"
dpkg-deb -x "$dev_deb" "$work/dev"
units=$work/units
mkdir -p "$units"
cp "$work/server/lib/systemd/system/switchboard.service" "$work/agent/lib/systemd/system/switchboard-agent.service" "$units/"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing"
# verify checks ExecStart binaries exist: point them at the extracted trees.
sed -i "s|/usr/bin/switchboard |$work/server/usr/bin/switchboard |" "$units/switchboard.service"
sed -i "s|/usr/bin/switchboard-agent |$work/agent/usr/bin/switchboard-agent |" "$units/switchboard-agent.service"
verify=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$units/switchboard.service" \
  "$units/switchboard-agent.service" 2>&1) || fail "systemd-analyze verify: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify: $verify"
ok "systemd-analyze verify: both units"
# The exposure score docs/operations.md records, so the page cannot rot.
for unit in switchboard switchboard-agent; do
  score=$(systemd-analyze security --offline=yes --no-pager "$units/$unit.service" 2>/dev/null |
    sed -nE 's/.*Overall exposure level for .*: ([0-9.]+) .*/\1/p')
  grep -qF "| \`$unit.service\` | **$score OK** |" "$root/docs/operations.md" ||
    fail "systemd-analyze security rates $unit.service $score; docs/operations.md says otherwise"
  ok "systemd-analyze security: $unit.service $score, as docs/operations.md records"
done

# 5. The extracted server: check-config with its packaged config, then serve.
tree=$work/server
lib=$(dirname "$(find "$tree/usr/lib" -name libswitchboard_sdk.so | head -n 1)")
[[ -d $lib ]] || fail "no libswitchboard_sdk.so in the server package"
export LD_LIBRARY_PATH=$lib
config=$tree/etc/switchboard/switchboard.yaml
"$tree/usr/bin/switchboard" check-config --config "$config" >"$work/check.out" 2>&1 ||
  { cat "$work/check.out" >&2; fail "check-config with the packaged config"; }
grep -q "device" "$work/check.out" || fail "check-config printed no chain"
ok "check-config with the packaged config"
state=$work/state
mkdir -p "$state"
# As the unit's ExecStartPre does: serve never creates the database.
(cd "$state" && SWITCHBOARD_DATABASE_URL="sqlite3://db=$state/switchboard.db timeout=5" \
  "$tree/usr/bin/switchboard" migrate --config "$config" >"$work/migrate.log" 2>&1) ||
  { cat "$work/migrate.log" >&2; fail "migrate with the packaged config"; }
(cd "$state" && SWITCHBOARD_LISTEN=127.0.0.1:0 \
  SWITCHBOARD_DATABASE_URL="sqlite3://db=$state/switchboard.db timeout=5" \
  SWITCHBOARD_ADMIN_TOKEN=package-check-admin-token-0123456789abcdef \
  exec "$tree/usr/bin/switchboard" serve --config "$config" >"$work/serve.log" 2>&1) &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -oE 'listening on http://[^ ]*:[0-9]+ ' "$work/serve.log" | grep -oE '[0-9]+ $' | tr -d ' ' || true)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "the extracted server exited"; }
  sleep 0.2
done
[[ -n $port ]] || { cat "$work/serve.log" >&2; fail "the extracted server never listened"; }
ready=""
for _ in $(seq 1 50); do
  ready=$(curl -s "http://127.0.0.1:$port/readyz" || true)
  [[ $ready == '{"status":"ready"}' ]] && break
  sleep 0.2
done
[[ $ready == '{"status":"ready"}' ]] || { cat "$work/serve.log" >&2; fail "/readyz answered '$ready'"; }
# Into files first: grep -q stops reading early, and curl's SIGPIPE would
# fail the pipeline (pipefail).
curl -s -o "$work/openapi.yaml" "http://127.0.0.1:$port/api/v1/openapi.yaml" || true
grep -q '^openapi: 3.1.0' "$work/openapi.yaml" || fail "the packaged server does not serve its OpenAPI document"
curl -s -o "$work/admin.html" "http://127.0.0.1:$port/admin/" || true
grep -qi '<html' "$work/admin.html" || fail "the packaged server does not serve the admin panel"
kill "$server_pid"
wait "$server_pid" || fail "the extracted server did not stop cleanly on SIGTERM"
server_pid=""
ok "the extracted server serves /readyz, the OpenAPI document and the admin panel"

# 6. The out-of-tree example against the extracted -dev tree (the SDK
# library comes from the server package, as on an installed system).
prefix=$work/prefix
mkdir -p "$prefix"
cp -a "$work/dev/usr/." "$prefix/"
cp -a "$work/server/usr/lib/." "$prefix/lib/"
example=$work/geo-build
cmake -S "$root/docs/examples/geo_resolver" -B "$example" -DCMAKE_PREFIX_PATH="$prefix" >"$work/geo.log" 2>&1 ||
  { cat "$work/geo.log" >&2; fail "the example does not configure against the -dev tree"; }
cmake --build "$example" >>"$work/geo.log" 2>&1 || { cat "$work/geo.log" >&2; fail "the example does not build"; }
[[ -f $example/libgeo.so ]] || fail "the example built no libgeo.so"
ok "docs/examples/geo_resolver builds against the extracted switchboard-dev"
echo "packages: 6 passed, 0 failed"
