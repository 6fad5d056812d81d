# Throwaway PostgreSQL clusters for tests and benchmarks. Source this file.
#
#   pg_start DIR   initdb into DIR (as the postgres user when run as root),
#                  start on a free 127.0.0.1 port with the Unix socket in DIR,
#                  create database `switchboard`, and set PG_URL to its
#                  SOCI connection string.
#   pg_stop DIR    stop the cluster and delete DIR.

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$dir" ]] || { echo "postgres: no PostgreSQL server found (scripts/setup installs it)" >&2; return 1; }
  echo "$dir"
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Runs a command as the postgres user when we are root (initdb refuses root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  local dir=$1 bin port
  bin=$(pg_bindir) || return 1
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  port=$(free_port)
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres switchboard || return 1
  PG_PORT=$port
  PG_URL="postgresql://host=127.0.0.1 port=$port dbname=switchboard user=postgres connect_timeout=5"
  export PG_PORT PG_URL
}

pg_stop() {
  local dir=$1 bin
  [[ -d "$dir/data" ]] || { rm -rf "$dir"; return 0; }
  bin=$(pg_bindir) || return 1
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
