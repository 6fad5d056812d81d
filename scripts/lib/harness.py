"""What scripts/chaos and scripts/limits share: a real `switchboard serve`
on 127.0.0.1, a throwaway PostgreSQL cluster (scripts/lib/postgres.sh) or a
schema in an existing one, SQL against either backend, and a small HTTP/1.1
client that keeps its connection.

Nothing here is mocked: the server is the built binary, the databases are
real. Every process and cluster a harness starts is stopped by close(),
also when a check fails.
"""

import http.client
import json
import os
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN_TOKEN = "chaos-admin-token-0123456789abcdef"
ENV_BROKER = "mqtt://env-fallback.example.com:1883"


class Failure(Exception):
    """A check that did not hold; the message says which and why."""


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def ci():
    return os.environ.get("CI", "").lower() in ("1", "true")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bash(script, check=True):
    """Runs `script` with scripts/lib/postgres.sh sourced; returns stdout."""
    full = "source " + shlex.quote(os.path.join(ROOT, "scripts/lib/postgres.sh")) + " && " + script
    r = subprocess.run(["bash", "-c", full], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise Failure(f"command failed ({r.returncode}): {script}\n{r.stdout}{r.stderr}")
    return r.stdout


class Postgres:
    """A cluster of our own (start/stop/restart on one port), or a schema in
    the cluster SWITCHBOARD_TEST_POSTGRES_URL names (no stop/start)."""

    def __init__(self, own):
        self.own = own
        self.dir = None
        self.schema = None
        if own:
            self.dir = tempfile.mkdtemp(prefix="switchboard-chaos-pg.")
            out = bash(f"pg_start {shlex.quote(self.dir)} && echo PORT=$PG_PORT")
            self.port = int(out.rsplit("PORT=", 1)[1].split()[0])
            self.base = (f"postgresql://host=127.0.0.1 port={self.port} dbname=switchboard "
                         "user=postgres connect_timeout=2")
            self.url = self.base
        else:
            self.base = os.environ["SWITCHBOARD_TEST_POSTGRES_URL"]
            self.schema = f"chaos_{os.getpid()}_{int(time.time() * 1000) % 100000}"
            self.psql(f"CREATE SCHEMA {self.schema}", schema=False)
            self.url = f"{self.base} options=-csearch_path={self.schema}"

    def conninfo(self, schema=True):
        info = self.base[len("postgresql://"):]
        if schema and self.schema:
            info += f" options=-csearch_path={self.schema}"
        return info

    def psql(self, sql, schema=True):
        r = subprocess.run(["psql", "-X", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1",
                            self.conninfo(schema), "-c", sql],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure(f"psql: {r.stderr.strip()} ({sql})")
        return [line.split("|") for line in r.stdout.splitlines() if line]

    def stop(self):
        bash(f'as_pg "$(pg_bindir)/pg_ctl" -D {shlex.quote(self.dir + "/data")} -m fast -w stop')

    def start(self):
        bash(f'as_pg "$(pg_bindir)/pg_ctl" -D {shlex.quote(self.dir + "/data")} '
             f'-l {shlex.quote(self.dir + "/server.log")} -w -t 60 '
             f'-o "-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off '
             f'-c max_connections=300" start')

    def close(self):
        if self.own and self.dir:
            bash(f"pg_stop {shlex.quote(self.dir)}", check=False)
        elif self.schema:
            try:
                self.psql(f"DROP SCHEMA {self.schema} CASCADE", schema=False)
            except Failure:
                pass


class Database:
    """SQL on the backend the server uses: rows as lists of strings."""

    def __init__(self, backend, sqlite_path=None, postgres=None):
        self.backend = backend
        self.sqlite_path = sqlite_path
        self.postgres = postgres

    def url(self):
        if self.backend == "sqlite":
            return f"sqlite3://db={self.sqlite_path} timeout=5"
        return self.postgres.url

    def query(self, sql):
        if self.backend == "sqlite":
            # Read-only, so a check never creates or changes the file.
            c = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=10)
            try:
                return [["" if v is None else str(v) for v in row] for row in c.execute(sql)]
            finally:
                c.close()
        return self.postgres.psql(sql)


class Server:
    """`switchboard serve` on a fixed 127.0.0.1 port, so it can be killed and
    started again where the clients expect it."""

    def __init__(self, build_dir, workdir, database, chain_yaml=None, threads=2,
                 server_yaml="", environment=None):
        self.binary = os.path.join(build_dir, "bin", "switchboard")
        if not os.access(self.binary, os.X_OK):
            raise Failure(f"{self.binary} is missing: build first (cmake --build {build_dir})")
        self.port = free_port()
        self.config = os.path.join(workdir, "switchboard.yaml")
        self.log_path = os.path.join(workdir, "switchboard.log")
        self.proc = None
        self.env = dict(os.environ)
        self.env["SWITCHBOARD_ADMIN_TOKEN"] = ADMIN_TOKEN
        self.env["MQTT_BROKER_URL"] = ENV_BROKER
        for k in ("SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_LISTEN"):
            self.env.pop(k, None)
        self.env.update(environment or {})
        plugins = os.path.join(build_dir, "plugins")
        chain = chain_yaml or ("    - plugin: device\n    - plugin: fleet\n"
                               "    - plugin: default\n"
                               "    - plugin: env\n      on_error: continue\n")
        with open(self.config, "w") as f:
            f.write(f"server:\n  listen: 127.0.0.1:{self.port}\n  threads: {threads}\n"
                    f"{server_yaml}"
                    f"storage:\n  url: \"{database.url()}\"\n  pool_size: 8\n"
                    f"  auto_migrate: true\n  acquire_timeout: 2s\n"
                    f"resolution:\n  plugin_dirs: [\"{plugins}\"]\n  chain:\n{chain}")

    def cli(self, *args):
        r = subprocess.run([self.binary, *args, "--config", self.config], capture_output=True,
                           text=True, env=self.env)
        if r.returncode != 0:
            raise Failure(f"switchboard {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def start(self, timeout=30):
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.binary, "serve", "--create-database", "--config", self.config],
                                     stdout=logf, stderr=subprocess.STDOUT, env=self.env)
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"switchboard serve exited with {self.proc.returncode}:\n"
                              + self.log_tail())
            try:
                if request(self.port, "GET", "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise Failure("switchboard serve not ready in time:\n" + self.log_tail())

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return code

    def log_tail(self, lines=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def admin(self, method, path, body=None):
        return request(self.port, method, path, body,
                       {"Authorization": "Bearer " + ADMIN_TOKEN})


def request(port, method, path, body=None, headers=None, timeout=10, connection=None):
    """One request; returns (status, headers dict lower-cased, body text).
    With `connection` (an http.client.HTTPConnection) the connection is reused."""
    own = connection is None
    c = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        return r.status, {k.lower(): v for k, v in r.getheaders()}, text
    finally:
        if own:
            c.close()


def is_json_error(headers, body):
    """A 4xx/5xx the API contract allows: JSON with error.code and message."""
    if not headers.get("content-type", "").startswith("application/json"):
        return False
    try:
        e = json.loads(body)["error"]
        return isinstance(e["code"], str) and isinstance(e["message"], str)
    except (ValueError, KeyError, TypeError):
        return False


def add_default_broker(server):
    status, _, body = server.admin("POST", "/api/v1/mqtt/brokers",
                                   {"name": "chaos", "host": "broker.example.com",
                                    "port": 1883, "is_default": True})
    if status != 201:
        raise Failure(f"creating the default broker: {status} {body}")


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def exit_skip(reason):
    """77 is ctest's SKIP_RETURN_CODE here; under CI=true a skip fails, as in
    tests/support/missing_tool.h."""
    print(f"SKIP: {reason}", file=sys.stderr)
    sys.exit(1 if ci() else 77)
