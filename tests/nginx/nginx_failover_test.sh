#!/usr/bin/env bash
# configs/nginx/switchboard.conf as an operator runs it: Debian's nginx with
# a throwaway TLS certificate in front of two `switchboard serve` instances
# that share one (throwaway) PostgreSQL.
#   1. a device registers and fetches its broker through nginx (HTTPS);
#   2. the instances log the client's real address: behind nginx (their
#      trusted proxy) the one nginx saw, not what the client wrote in its own
#      X-Forwarded-For; from a direct client, its peer address, whatever its
#      X-Forwarded-For says;
#   3. the admin panel is served through nginx, with its security headers;
#   4. under load (registrations retried by the client, as the agent does,
#      and config fetches), one instance is killed (SIGKILL): every fetch
#      still succeeds (nginx retries GETs on the other instance), every
#      registration ends in 200, and the database holds each device once and
#      counts it once against the key;
#   5. with --measure, also fetch throughput through nginx to one instance
#      and to both, in one run, printed as a ratio (docs/scaling.md).
# Usage: nginx_failover_test.sh SWITCHBOARD_BINARY PLUGIN_DIR [--measure]
# Follows the missing-tool rule (tests/support/missing_tool.h): without
# nginx, PostgreSQL, curl or openssl it is skipped (77), and fails under CI=true.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=$1
plugins=$2
measure=${3:-}

missing() {
  if [[ ${CI:-} == true ]]; then echo "nginx test: $1 (CI=true: a missing tool fails)" >&2; exit 1; fi
  echo "nginx test: skipped: $1" >&2
  exit 77
}
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing "nginx is not installed (scripts/setup)"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
command -v curl >/dev/null || missing "curl is not installed"
command -v openssl >/dev/null || missing "openssl is not installed"
# shellcheck source=../../scripts/lib/postgres.sh
source "$root/scripts/lib/postgres.sh"
pg_bindir >/dev/null 2>&1 || missing "no PostgreSQL server (scripts/setup)"

work=$(mktemp -d /tmp/switchboard-nginx.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  pg_stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "nginx test: FAIL: $*" >&2
  for f in "$work"/a.log "$work"/b.log "$work"/nginx-error.log; do
    [[ -f $f ]] && { echo "--- $f (last lines)" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

pg_start "$work/pg" || fail "cannot start PostgreSQL"
admin=nginx-test-admin-token-0123456789abcdef01
port_a=$(free_port)
port_b=$(free_port)

start_instance() {  # name port
  cat >"$work/$1.yaml" <<YAML
server:
  listen: 127.0.0.1:$2
  threads: 2
  log_format: json
  trusted_proxies: ["127.0.0.1"]
storage:
  url: "$PG_URL"
  pool_size: 4
resolution:
  plugin_dirs: ["$plugins"]
YAML
  SWITCHBOARD_ADMIN_TOKEN=$admin "$binary" serve --config "$work/$1.yaml" >"$work/$1.log" 2>&1 &
  pids+=($!)
  eval "pid_$1=$!"
  for _ in $(seq 1 100); do
    [[ $(curl -s "http://127.0.0.1:$2/readyz") == '{"status":"ready"}' ]] && return 0
    sleep 0.2
  done
  fail "instance $1 never became ready"
}
start_instance a "$port_a"
start_instance b "$port_b"

# The shipped recipe, with this run's addresses, certificate and temp paths.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 || fail "openssl req"
# nginx's two ports are taken just before it starts, and again if another
# process got one first (ctest runs other tests at the same time, each
# picking free ports the same way).
start_nginx() {
port_ng=$(free_port)
port_one=$(free_port)
sed -e "s|server 127.0.0.1:4002 |server 127.0.0.1:$port_a |" \
    -e "s|server 127.0.0.1:4003 |server 127.0.0.1:$port_b |" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$port_ng ssl http2;|" \
    -e "/listen \[::\]:443/d" \
    -e "s|/etc/ssl/switchboard/fullchain.pem|$work/cert.pem|" \
    -e "s|/etc/ssl/switchboard/privkey.pem|$work/key.pem|" \
    -e '/^# Plain HTTP only redirects./,$d' \
    "$root/configs/nginx/switchboard.conf" >"$work/switchboard.conf"
grep -q "127.0.0.1:$port_b" "$work/switchboard.conf" || fail "the recipe's upstream lines changed: update this test"
# For --measure: the same location in front of instance a alone.
cat >"$work/one.conf" <<CONF
upstream switchboard_one { server 127.0.0.1:$port_a; keepalive 32; }
server {
  listen 127.0.0.1:$port_one ssl;
  ssl_certificate $work/cert.pem;
  ssl_certificate_key $work/key.pem;
  location / {
    proxy_pass http://switchboard_one;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
  }
}
CONF
mkdir -p "$work/nginx-tmp"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  # nginx's own id of each request, to find it in the instances' logs.
  log_format request_ids '\$request_id \$status \$request_uri';
  access_log $work/nginx-access.log request_ids;
  client_body_temp_path $work/nginx-tmp/body;
  proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi;
  uwsgi_temp_path $work/nginx-tmp/uwsgi;
  scgi_temp_path $work/nginx-tmp/scgi;
  include $work/switchboard.conf;
  include $work/one.conf;
}
CONF
"$nginx_bin" -t -c "$work/nginx.conf" -e "$work/nginx-error.log" >/dev/null 2>&1 || fail "nginx -t: $(cat "$work/nginx-error.log")"
"$nginx_bin" -c "$work/nginx.conf" -e "$work/nginx-error.log" -g 'daemon off;' &
nginx_pid=$!
pids+=($nginx_pid)
api=https://127.0.0.1:$port_ng
tls=(--cacert "$work/cert.pem")
# An answer verified with this run's certificate comes from this nginx.
for _ in $(seq 1 50); do
  curl -s "${tls[@]}" "$api/healthz" >/dev/null && return 0
  sleep 0.1
done
kill "$nginx_pid" 2>/dev/null
return 1
}
for attempt in 1 2 3; do
  start_nginx && break
  grep -q "Address already in use" "$work/nginx-error.log" && ((attempt < 3)) ||
    fail "nginx did not start"
  : >"$work/nginx-error.log"
done

json='Content-Type: application/json'
code() { curl -s "${tls[@]}" -o "$work/body" -w '%{http_code}' "$@"; }
[[ $(code -H "Authorization: Bearer $admin" -H "$json" \
  -d '{"name":"local","host":"mqtt.example.com","is_default":true}' "$api/api/v1/mqtt/brokers") == 201 ]] ||
  fail "create broker through nginx: $(cat "$work/body")"
[[ $(code -H "Authorization: Bearer $admin" -H "$json" -d '{"fleetId":"nginx"}' \
  "$api/api/v1/provisioning-keys") == 201 ]] || fail "create key: $(cat "$work/body")"
key=$(sed -E 's/.*"key":"([^"]+)".*/\1/' "$work/body")

device_key=nginx-device-api-key-0123456789
register() {  # uuid -> final status after up to 10 client retries
  local status=000
  for _ in $(seq 1 10); do
    status=$(curl -s "${tls[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H "$json" \
      -d "{\"uuid\":\"$1\",\"deviceName\":\"n\",\"deviceType\":\"t\",\"deviceApiKey\":\"$device_key\"}" \
      "$api/api/v1/device/register")
    [[ $status == 200 ]] && break
    sleep 0.1
  done
  echo "$status"
}
uuid() { printf '4b1d2c3e-0000-4000-8000-%012d' "$1"; }

first=$(uuid 0)
[[ $(register "$first") == 200 ]] || fail "registration through nginx"
[[ $(code -H "X-Device-API-Key: $device_key" "$api/api/v1/device/$first/mqtt") == 200 ]] ||
  fail "fetch through nginx: $(cat "$work/body")"
grep -q '"broker":"mqtt://mqtt.example.com:1883"' "$work/body" || fail "fetch answered $(cat "$work/body")"
echo "nginx test: ok: register and fetch through nginx (TLS) over two instances"

# The client's real address in each instance's request log. nginx reaches
# the instances from 127.0.0.1, their one trusted proxy; the client connects
# to nginx from 127.0.0.5 and claims to be 203.0.113.7 in its own
# X-Forwarded-For, which nginx passes on with 127.0.0.5 appended. A client
# that reaches an instance directly (from 127.0.0.3) is not a trusted proxy:
# its X-Forwarded-For is ignored.
client_ip=127.0.0.5
direct_ip=127.0.0.3
spoofed=203.0.113.7
direct_spoofed=198.51.100.9
curl -s --interface "$client_ip" -o /dev/null "http://127.0.0.1:$port_a/healthz" ||
  fail "cannot send from $client_ip (this test needs 127.0.0.0/8 on the loopback interface)"
header() {  # name -> the header's value in $work/headers
  sed -n "s/^$1: *//Ip" "$work/headers" | tr -d '\r' | head -n 1
}
fetch_from() {  # source-address url extra-curl-args... -> HTTP status
  local from=$1 url=$2
  shift 2
  code --interface "$from" -H "X-Device-API-Key: $device_key" "$@" "$url/api/v1/device/$first/mqtt"
}
for _ in 1 2 3 4; do
  [[ $(fetch_from "$client_ip" "$api" -H "X-Forwarded-For: $spoofed") == 200 ]] ||
    fail "fetch through nginx from $client_ip: $(cat "$work/body")"
done
for port in "$port_a" "$port_b"; do
  [[ $(fetch_from "$direct_ip" "http://127.0.0.1:$port" -H "X-Forwarded-For: $direct_spoofed") == 200 ]] ||
    fail "direct fetch from $direct_ip: $(cat "$work/body")"
done
# A request line: {"msg":"request",…,"route":…,"remote":…}, written once the
# answer is queued, so wait for it.
logged() {  # instance remote -> succeeds once a fetch from `remote` is logged
  local line="\"msg\":\"request\".*\"route\":\"/api/v1/device/:uuid/mqtt\".*\"remote\":\"$2\""
  for _ in $(seq 1 50); do
    grep -q "$line" "$work/$1.log" && return 0
    sleep 0.1
  done
  return 1
}
for instance in a b; do
  logged "$instance" "$client_ip" ||
    fail "instance $instance logged no fetch from $client_ip, the client behind nginx: $(grep '"remote"' "$work/$instance.log" | tail -n 3)"
  logged "$instance" "$direct_ip" ||
    fail "instance $instance logged no fetch from $direct_ip, the direct client: $(grep '"remote"' "$work/$instance.log" | tail -n 3)"
  for claimed in "$spoofed" "$direct_spoofed"; do
    ! grep -q "$claimed" "$work/$instance.log" || fail "instance $instance believed a client's X-Forwarded-For ($claimed): $(grep "$claimed" "$work/$instance.log" | head -n 1)"
  done
done
# One id in nginx's log and the instance's: the recipe sends nginx's
# $request_id as X-Request-Id (in place of the client's), the instance uses
# it and echoes it.
[[ $(code -D "$work/headers" -H "X-Request-Id: client-chosen-id" -H "X-Device-API-Key: $device_key" \
  "$api/api/v1/device/$first/mqtt") == 200 ]] || fail "fetch through nginx: $(cat "$work/body")"
request_id=$(header X-Request-Id)
[[ -n $request_id && $request_id != client-chosen-id ]] || fail "X-Request-Id through nginx is '$request_id', not nginx's"
for _ in $(seq 1 50); do
  grep -q "^$request_id 200 " "$work/nginx-access.log" &&
    grep -q "\"request_id\":\"$request_id\"" "$work/a.log" "$work/b.log" && break
  sleep 0.1
done
grep -q "^$request_id 200 /api/v1/device/$first/mqtt" "$work/nginx-access.log" ||
  fail "request id $request_id is not in nginx's log: $(tail -n 3 "$work/nginx-access.log")"
grep -q "\"request_id\":\"$request_id\"" "$work/a.log" "$work/b.log" ||
  fail "request id $request_id is in neither instance's log"
echo "nginx test: ok: both instances log the client behind nginx as $client_ip (not its claimed $spoofed), a direct client as $direct_ip (not its claimed $direct_spoofed), and nginx's request id"

# The admin panel through the proxy: the redirect, the page with the panel's
# security headers, its script, a client-side route, revalidation by ETag.
panel() {  # path extra-curl-args... -> HTTP status; headers in $work/headers
  local path=$1
  shift
  curl -s "${tls[@]}" -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@" "$api$path"
}
panel_headers() {  # what -> fails unless the panel's security headers are there
  [[ $(header Content-Security-Policy) == "default-src 'self'"*"frame-ancestors 'none'"* ]] ||
    fail "$1 through nginx: Content-Security-Policy is '$(header Content-Security-Policy)'"
  [[ $(header X-Content-Type-Options) == nosniff ]] || fail "$1 through nginx: no nosniff"
  [[ $(header Referrer-Policy) == no-referrer ]] || fail "$1 through nginx: no Referrer-Policy"
}
[[ $(panel /admin) == 301 ]] || fail "/admin through nginx: $(head -n 1 "$work/headers")"
[[ $(header Location) == */admin/ ]] || fail "/admin through nginx redirects to '$(header Location)'"
panel_headers "the /admin redirect"
[[ $(panel /admin/) == 200 ]] || fail "/admin/ through nginx: $(head -n 1 "$work/headers")"
[[ $(header Content-Type) == text/html* ]] || fail "/admin/ through nginx is '$(header Content-Type)'"
# The script's address carries the panel's version (docs/admin-panel.md).
script=$(grep -o '<script type="module" src="/admin/v/[0-9a-f]*/js/app.js"></script>' "$work/body" |
  grep -o '/admin/v/[0-9a-f]*/js/app.js') ||
  fail "/admin/ through nginx is not the panel: $(head -c 300 "$work/body")"
panel_headers "/admin/"
etag=$(header ETag)
[[ -n $etag ]] || fail "/admin/ through nginx has no ETag"
[[ $(panel /admin/ -H "If-None-Match: $etag") == 304 ]] || fail "/admin/ with its ETag through nginx: $(head -n 1 "$work/headers")"
[[ $(panel "$script") == 200 ]] || fail "$script through nginx: $(head -n 1 "$work/headers")"
[[ $(header Content-Type) == text/javascript* ]] || fail "app.js through nginx is '$(header Content-Type)'"
[[ $(header Cache-Control) == *immutable* ]] || fail "app.js through nginx is cached '$(header Cache-Control)'"
panel_headers "$script"
[[ $(panel "/admin/devices/$first") == 200 ]] || fail "a client-side route through nginx: $(head -n 1 "$work/headers")"
grep -q "$script" "$work/body" || fail "a client-side route through nginx is not the panel"
[[ $(panel /admin/js/missing.js) == 404 ]] || fail "a missing panel file through nginx: $(head -n 1 "$work/headers")"
[[ $(panel /api/v1/mqtt/brokers -H "Authorization: Bearer $admin") == 200 ]] ||
  fail "the panel's API through nginx: $(cat "$work/body")"
echo "nginx test: ok: the admin panel through nginx: redirect, page, versioned script (immutable), client route, 304, security headers, its API"

# Load, and instance a killed in the middle of it.
devices=40
fetches=200
( for i in $(seq 1 "$devices"); do echo "$(register "$(uuid "$i")")"; done >"$work/registrations" ) &
reg_pid=$!
( for _ in $(seq 1 "$fetches"); do
    curl -s "${tls[@]}" -o /dev/null -w '%{http_code}\n' -H "X-Device-API-Key: $device_key" "$api/api/v1/device/$first/mqtt"
  done >"$work/fetches" ) &
fetch_pid=$!
for _ in $(seq 1 100); do
  [[ $(wc -l <"$work/fetches" 2>/dev/null || echo 0) -ge 50 ]] && break
  sleep 0.05
done
kill -KILL "$pid_a"
wait "$reg_pid" "$fetch_pid"
done_fetches=$(wc -l <"$work/fetches")
bad_fetches=$(grep -vc '^200$' "$work/fetches")
[[ $done_fetches -eq $fetches ]] || fail "$done_fetches of $fetches fetches ran"
[[ $bad_fetches -eq 0 ]] || fail "$bad_fetches of $fetches fetches failed after an instance died: $(sort "$work/fetches" | uniq -c | tr '\n' ' ')"
bad_registrations=$(grep -vc '^200$' "$work/registrations")
[[ $bad_registrations -eq 0 ]] || fail "$bad_registrations registrations never succeeded"
psql=("$(pg_bindir)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d switchboard -Atc)
stored=$("${psql[@]}" "SELECT COUNT(*), COUNT(DISTINCT uuid) FROM devices")
counted=$("${psql[@]}" "SELECT devices_provisioned FROM provisioning_keys")
[[ $stored == "$((devices + 1))|$((devices + 1))" ]] || fail "devices stored: $stored, want $((devices + 1)) once each"
[[ $counted == "$((devices + 1))" ]] || fail "the key counted $counted devices, want $((devices + 1))"
echo "nginx test: ok: instance a killed mid-load: $fetches/$fetches fetches 200, $devices/$devices registrations 200, each device stored and counted once"
grep -q '"msg":"request".*"route":"/api/v1/device/:uuid/mqtt"' "$work/b.log" || fail "instance b logged no fetch"

if [[ $measure == --measure ]]; then
  command -v wrk >/dev/null || missing "wrk is not installed"
  start_instance a "$port_a"  # back, for the comparison
  sleep 1
  run_wrk() {
    wrk -t2 -c16 -d8s -H "X-Device-API-Key: $device_key" "$1/api/v1/device/$first/mqtt" 2>&1 |
      awk '/Requests\/sec/ {print $2}'
  }
  one=$(run_wrk "https://127.0.0.1:$port_one")
  two=$(run_wrk "$api")
  ratio=$(awk -v a="$one" -v b="$two" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "n/a" }')
  echo "nginx test: measured: one instance $one req/s, two instances $two req/s through nginx: ratio $ratio"
fi
echo "nginx test: 4 passed, 0 failed"
