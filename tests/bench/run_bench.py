#!/usr/bin/env python3
"""Runs the benchmark suite of docs/benchmarks.md and prints one table.

Called by scripts/bench (which builds and starts the throwaway PostgreSQL);
see `scripts/bench --help`. For every backend and dataset size:

  1. bench_dataset generate            the dataset (dataset.h)
  2. bench_chain                       in-process: chain vs raw SOCI (target 3)
  3. switchboard serve                 time to /readyz 200 (target 5)
  4. wrk fetch_all.lua                 every device fetches once: the steady
                                       state, and each device's ETag
  5. wrk fetch.lua, 64 connections     baseline, switchboard, baseline again
                                       (target 1; RSS sampled, target 5)
  6. wrk fetch304.lua, 64 connections  If-None-Match with that ETag, in 4 s
                                       turns with fetch.lua's 200s (target 7)
  7. the same as 5, in turns with a    a second switchboard on a copy of the
     second server whose brokers have  dataset, each answer 2 endpoints longer
     two backups each (target 6)       (P B P B … P, 4 s each); every device
                                       fetches from it once first
  8. wrk register.lua, 16 connections  then every acknowledged uuid is looked
                                       up in the database (target 2)
  9. wrk report.lua, 16 connections    state reports; then every device's
                                       stored report is checked against its
                                       last acknowledged one (target 7)

Every HTTP figure is compared with bench_baseline_server measured right
before and after it in the same run. Nothing here asserts a time: --smoke
only checks that every piece ran and printed a figure.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "tests", "bench")
MIB = 1024 * 1024

COMMANDS = []  # every command run, for docs/benchmarks.md
PROCESSES = []  # servers to stop on exit


def log(message):
    print(message, file=sys.stderr, flush=True)


def size_label(n):
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def parse_size(text):
    text = text.strip().lower()
    factor = 1
    if text.endswith("k"):
        factor, text = 1000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    return int(float(text) * factor)


def shown(cmd, env=None):
    prefix = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    text = " ".join(a if re.fullmatch(r"[\w@%+=:,./-]+", a) else repr(a) for a in cmd)
    return (prefix + " " + text).strip()


def run(cmd, env=None, check=True, record=True):
    if record:
        COMMANDS.append(shown(cmd, env))
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run(cmd, env=full_env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{shown(cmd)} failed ({result.returncode}):\n"
                           f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result


class Server:
    """A server process whose stdout says which port it listens on."""

    def __init__(self, cmd, env, log_path, port_pattern):
        COMMANDS.append(shown(cmd, env))
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                                     stderr=self.log_file, text=True)
        PROCESSES.append(self)
        self.port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            match = re.search(port_pattern, line)
            if match:
                self.port = int(match.group(1))
                break
        if self.port is None:
            self.stop()
            raise RuntimeError(f"{shown(cmd)} did not start; log {log_path}:\n"
                               + open(log_path).read()[-3000:])
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def wait_ready(self, path, timeout=30):
        """Seconds from process start to the first 200 on `path`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{path} never answered 200 (log {self.log_path})")

    def status_kib(self, field):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in PROCESSES:
            PROCESSES.remove(self)
        self.log_file.close()
        return self.proc.returncode


def stop_all():
    for server in list(PROCESSES):
        try:
            server.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


class RssSampler:
    """Largest VmRSS seen while running, sampled every 100 ms."""

    def __init__(self, server):
        self.server, self.peak_kib, self._stop = server, 0, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self.server.status_kib("VmRSS"))
            self._stop.wait(0.1)

    def finish(self):
        self._stop.set()
        self.thread.join()
        return self.peak_kib


def wrk(args, script, port, script_args, duration, connections):
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{connections}", f"-d{duration}s", "--latency",
           "-s", os.path.join(BENCH, script), f"http://127.0.0.1:{port}", "--"] + script_args
    result = run(cmd)
    match = re.search(r"^WRK_RESULT (.*)$", result.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no WRK_RESULT line:\n{result.stdout}\n{result.stderr}")
    figures = {}
    for item in match.group(1).split():
        key, value = item.split("=", 1)
        try:
            figures[key] = float(value)
        except ValueError:
            figures[key] = value
    figures["socket_errors"] = sum(figures.get(k, 0) for k in
                                   ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return figures


# The configuration each backend ships with: the embedded default for SQLite,
# the production file for PostgreSQL (more threads and sessions: its workers
# wait on network round trips).
SHIPPED_CONFIG = {"sqlite": "switchboard.yaml", "postgresql": "postgresql.yaml"}


def prewarm(paths):
    """Reads files so their pages are in the OS cache. Steady state for a
    busy database; without it the first seconds after an idle spell measure
    disk reads (this VM pages out file pages idle for a minute: DAMON)."""
    for top in paths:
        files = [top] if os.path.isfile(top) else [
            os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
        for name in files:
            try:
                with open(name, "rb") as f:
                    while f.read(1 << 20):
                        pass
            except OSError:
                pass


def wrk_walk(args, script, port, script_args, connections, out_dir, lines, cap_s):
    """A wrk run stopped (SIGINT: wrk then reports as usual) once the files in
    `out_dir` hold `lines` lines, or after `cap_s` seconds. `out_dir` is
    made empty first: the files of an earlier round (--repeat) would count
    as answers, and wrk would be stopped before it started."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{connections}", f"-d{cap_s}s", "--latency",
           "-s", os.path.join(BENCH, script), f"http://127.0.0.1:{port}", "--"] + script_args
    COMMANDS.append(shown(cmd))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    seen = {}  # file → (bytes read, lines in them): read each byte once

    def written():
        for name in os.listdir(out_dir):
            offset, lines = seen.get(name, (0, 0))
            with open(os.path.join(out_dir, name), "rb") as f:
                f.seek(offset)
                chunk = f.read()
            end = chunk.rfind(b"\n") + 1  # whole lines only
            seen[name] = (offset + end, lines + chunk.count(b"\n", 0, end))
        return sum(lines for _, lines in seen.values())
    deadline = time.monotonic() + cap_s
    while proc.poll() is None and time.monotonic() < deadline and written() < lines:
        time.sleep(0.2)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    if written() < lines:
        raise RuntimeError(f"{script}: {written()} of {lines} devices answered:\n{stdout}\n{stderr}")
    match = re.search(r"^WRK_RESULT (.*)$", stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no WRK_RESULT line:\n{stdout}\n{stderr}")
    return {k: float(v) if re.fullmatch(r"[\d.]+", v) else v
            for k, v in (item.split("=", 1) for item in match.group(1).split())}


def cpu_seconds(pid):
    """User + system CPU time of a process so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(args, server, script, script_args, duration, connections):
    """A wrk run and the server's CPU time per request during it (µs)."""
    before = cpu_seconds(server.proc.pid)
    figures = wrk(args, script, server.port, script_args, duration, connections)
    spent = cpu_seconds(server.proc.pid) - before
    return figures, spent * 1e6 / max(figures["requests"], 1)


def write_config(path, backend, url, plugin_dir, threads):
    """The backend's shipped config with listen, storage and plugin dirs
    pointed at this run (the chain, threads, pool and every other key
    unchanged unless --threads is given)."""
    name = SHIPPED_CONFIG[backend]
    text = open(os.path.join(ROOT, "configs", name)).read()
    replacements = [
        (r"(?m)^(\s*listen:).*$", r"\1 127.0.0.1:0"),
        (r"(?m)^\s*admin_token_file:.*\n", ""),
        (r"(?m)^(\s*url:).*$", r"\1 " + json.dumps(url)),
        (r"(?m)^(\s*plugin_dirs:).*$", r"\1 [" + json.dumps(plugin_dir) + "]"),
    ]
    if threads:
        replacements.append((r"(?m)^(\s*threads:).*$", rf"\1 {threads}"))
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        if count != 1 and "admin_token_file" not in pattern:
            raise RuntimeError(f"configs/{name}: cannot set {pattern}")
    with open(path, "w") as f:
        f.write(text)
    threads_in_force = re.search(r"(?m)^\s*threads:\s*(\d+)", text)
    pool = re.search(r"(?m)^\s*pool_size:\s*(\d+)", text)
    return {"file": f"configs/{name}", "threads": int(threads_in_force.group(1)),
            "pool_size": int(pool.group(1))}


def chain_bench(args, url, devices, config_path, out_path):
    cmd = [os.path.join(args.bin_dir, "bench_chain"), f"--url={url}", f"--devices={devices}",
           f"--config={config_path}", f"--benchmark_out={out_path}",
           "--benchmark_out_format=json"]
    if args.smoke:
        cmd += ["--benchmark_min_time=0.01"]
    else:
        # Interleaved repetitions: the raw lookup and the chain see the same
        # bursts of load from whatever else runs on the machine.
        cmd += ["--benchmark_min_time=1", "--benchmark_repetitions=5",
                "--benchmark_enable_random_interleaving=true",
                "--benchmark_report_aggregates_only=true"]
    run(cmd)
    data = json.load(open(out_path))
    figures = {}
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            raise RuntimeError(f"bench_chain: {b['name']}: {b.get('error_message')}")
        name = b.get("run_name", b["name"]).split("/")[0]
        if args.smoke or b.get("aggregate_name") == "median":
            unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b.get("time_unit", "us")]
            figures[name] = b["real_time"] * unit
    for needed in ("BM_RawSociLookup", "BM_ChainResolve", "BM_DeviceMqtt", "BM_ChainResolveAny"):
        if needed not in figures:
            raise RuntimeError(f"bench_chain reported no {needed}")
    return figures


def device_uuid(i):
    """tests/bench/dataset.h's DeviceUuid."""
    return f"{(i * 2654435761) % 4294967296:08x}-0000-4000-8000-{i:012x}"


def api(port, headers, method, path, body=None):
    """One request to the server under test; the decoded JSON answer (None
    for an empty body). Anything but 2xx fails the run."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    data = None
    if body is not None:
        data = json.dumps(body)
        headers = dict(headers, **{"Content-Type": "application/json"})
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    if response.status // 100 != 2:
        raise RuntimeError(f"{method} {path}: {response.status} {text[:500]}")
    return json.loads(text) if text else None


def count_answers(port, status):
    """How many config fetches the server has answered with `status`, from
    its switchboard_http_requests_total (GET /metrics)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    total = 0
    for line in text.splitlines():
        if (line.startswith("switchboard_http_requests_total{") and f'status="{status}"' in line
                and "/device/" in line and "/mqtt" in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


BACKUP_NAMES = ("bench-backup-1", "bench-backup-2")


ADMIN_TOKEN = "bench-admin-token-" + "0" * 32  # the servers' SWITCHBOARD_ADMIN_TOKEN


def admin(token):
    return {"Authorization": f"Bearer {token}"}


def wait_for_health(port, token, cap_s=60):
    """Returns once this instance's health view knows every active broker
    (no `unknown` state left; at once when health monitoring is off).

    The endpoint order, so each device's configVersion, follows broker
    health (core/src/engine/endpoint_list.h), and a fetch whose answer
    changed records it (one write per device,
    core/src/domain/device_reports.h). Until the monitor has probed a new
    broker the answers are those of an unknown broker; its first probe
    changes them (here every bench broker is unreachable: unknown →
    unhealthy), and each device walked before that would write again in
    the measured run. Returns the seconds waited."""
    started = time.monotonic()
    while True:
        brokers = api(port, admin(token), "GET", "/api/v1/mqtt/brokers")["brokers"]
        unknown = [b["name"] for b in brokers
                   if b.get("is_active", True) and "health" in b
                   and b["health"].get("state") == "unknown"]
        if not unknown:
            return time.monotonic() - started
        if time.monotonic() - started > cap_s:
            raise RuntimeError(f"health: still unknown after {cap_s} s: {', '.join(unknown)}")
        time.sleep(0.2)


def add_backups(port, token):
    """Two more brokers (active, no region, not the default: no step of the
    chain picks them) named as the backups of every broker of the dataset,
    so every answer carries two more endpoints: the 70% of devices resolved
    by the device or fleet step get a 3-endpoint list (primary + 2 backups),
    the 30% resolved by region get 5 (their 2 rendezvous alternates were
    already there). Checks one pinned device's answer. Returns the new
    brokers' ids."""
    ids = []
    for k, name in enumerate(BACKUP_NAMES, start=1):
        ids.append(api(port, admin(token), "POST", "/api/v1/mqtt/brokers",
                       {"name": name, "host": f"backup-{k}.bench.example", "port": 1883})["id"])
    for broker in api(port, admin(token), "GET", "/api/v1/mqtt/brokers")["brokers"]:
        if broker["name"].startswith("bench-broker-"):
            api(port, admin(token), "PUT", f"/api/v1/mqtt/brokers/{broker['id']}",
                {"backup_broker_ids": ids})
    return ids


def alternate_with_backups(args, backend, label, plain, url, devices, work):
    """Target 6. A second switchboard serves `url`, the same dataset with two
    backups on every broker (add_backups; added on its first round, kept for
    the next), and every device fetches from it once (its first fetch
    records what it was handed). Then the config fetch runs in short turns,
    the plain server first and last (P B P B … P): each turn of the
    3-endpoint server is compared with the mean of the plain turns on either
    side of it, and the median of those comparisons is the figure. Two 10 s
    windows of one server differ by up to 20 % on this machine (as the
    baseline's before and after do in the details table), more than the
    target's margin; turns of a few seconds see the same machine (in_turns)."""
    c = args.fetch_connections
    fetch_args = [str(devices)]
    env = {"SWITCHBOARD_ADMIN_TOKEN": ADMIN_TOKEN}
    config_path = os.path.join(work, f"{backend}-{label}-backups.yaml")
    write_config(config_path, backend, url, os.path.join(args.build_dir, "plugins"), args.threads)
    log(f"bench: {backend} {label}: config fetch with 3-endpoint lists, in turns with the plain "
        f"fetch, {c} connections")
    server = Server([os.path.join(args.bin_dir, "switchboard"), "serve", "--config",
                     config_path], env, os.path.join(work, f"serve-{backend}-{label}-backups.log"),
                    r"listening on https?://[^:]+:(\d+)")
    try:
        server.wait_ready("/readyz")
        if not any(b["name"] in BACKUP_NAMES for b in
                   api(server.port, admin(ADMIN_TOKEN), "GET", "/api/v1/mqtt/brokers")["brokers"]):
            add_backups(server.port, ADMIN_TOKEN)
        check_backups(server.port)
        wait_for_health(server.port, ADMIN_TOKEN)
        walk_dir = os.path.join(work, f"versions-backups-{backend}-{label}-{os.getpid()}")
        wrk_walk(args, "fetch_all.lua", server.port,
                 [str(devices), str(args.wrk_threads), walk_dir], c, walk_dir, devices, 900)
        if not args.smoke:
            wrk(args, "fetch.lua", server.port, fetch_args, 3, c)
        turns = in_turns(args, (plain, "fetch.lua", fetch_args),
                         (server, "fetch.lua", fetch_args), "3-endpoint turns")
    finally:
        code = server.stop()
    if code != 0:
        raise RuntimeError(f"switchboard serve (backups) exited {code} (log {server.log_path})")
    return {"fetch3_turns": turns}


def in_turns(args, first, second, what):
    """wrk runs in short turns, `first` before and after each turn of
    `second` (F S F S … F); each is (server, script, script args). Per turn
    of `second`: its requests/s, CPU µs/request and latency, and the mean of
    `first`'s two turns around it ("base_…"); `ratio` is the first over the
    second's mean. Two 10 s windows of one server differ by up to 20 % on
    this machine (the baseline's before and after in the details table),
    more than a 10 % target's margin; turns seconds apart see the same
    machine, and the median of their ratios hardly moves (docs/benchmarks.md).
    Any error status fails the run."""
    c = args.fetch_connections
    turn = 1 if args.smoke else args.turn_duration
    runs = {0: [], 1: []}
    for k in range(2 if args.smoke else args.turns):
        for side in (0, 1):
            server, script, script_args = (first, second)[side]
            runs[side].append(measured(args, server, script, script_args, turn, c))
    server, script, script_args = first
    runs[0].append(measured(args, server, script, script_args, turn, c))
    for figures, _ in runs[0] + runs[1]:
        if figures["requests"] <= 0 or figures["status_errors"] > 0:
            raise RuntimeError(f"{what}: {figures['status_errors']:.0f} error statuses of "
                               f"{figures['requests']:.0f} (logs {first[0].log_path}, "
                               f"{second[0].log_path})")
    out = []
    for k, (figures, cpu) in enumerate(runs[1]):
        (b1, c1), (b2, c2) = runs[0][k], runs[0][k + 1]
        base = (b1["rps"] + b2["rps"]) / 2
        out.append({"rps": figures["rps"], "base_rps": base, "ratio": figures["rps"] / base,
                    "cpu_us": cpu, "base_cpu_us": (c1 + c2) / 2,
                    "p50_us": figures["p50_us"], "p99_us": figures["p99_us"]})
    return out


def check_backups(port):
    """Device 0 is pinned (dataset.h): its answer must be the 3-endpoint list."""
    answer = api(port, {"X-Device-API-Key": "bench-device-key-0"}, "GET",
                 f"/api/v1/device/{device_uuid(0)}/mqtt")
    if len(answer.get("failover", [])) != 2:
        raise RuntimeError(f"a pinned device's answer has not 3 endpoints: {answer}")


def http_round(args, backend, label, url, backups_url, devices, config_path, work, db):
    """Starts both servers, measures config fetch and registration, stops
    them and checks every acknowledged registration is stored."""
    result = {}
    env = {"SWITCHBOARD_ADMIN_TOKEN": ADMIN_TOKEN}
    baseline = Server([os.path.join(args.bin_dir, "bench_baseline_server"), "--config",
                       config_path], env, os.path.join(work, "baseline.log"),
                      r"listening on (\d+)")
    log(f"bench: {backend} {label}: starting switchboard serve")
    server = Server([os.path.join(args.bin_dir, "switchboard"), "serve", "--config",
                     config_path], env, os.path.join(work, f"serve-{backend}-{label}.log"),
                    r"listening on https?://[^:]+:(\d+)")
    try:
        result["ready_s"] = server.wait_ready("/readyz")
        baseline.wait_ready("/readyz")
        fetch_args = [str(devices)]
        c = args.fetch_connections
        # Every device fetches once first: the steady state of a fleet that
        # has fetched since the last configuration change (a device's first
        # fetch records what it was handed: core/src/domain/device_reports.h),
        # and the ETags fetch304.lua sends. First the monitor's first probe
        # of every broker, which changes answers (wait_for_health).
        settled = wait_for_health(server.port, env["SWITCHBOARD_ADMIN_TOKEN"])
        log(f"bench: {backend} {label}: broker health known after {settled:.1f} s; "
            f"every device fetches once")
        versions_dir = os.path.join(work, f"versions-{backend}-{label}-{os.getpid()}")
        walk = wrk_walk(args, "fetch_all.lua", server.port,
                        [str(devices), str(args.wrk_threads), versions_dir], c, versions_dir,
                        devices, 900)
        if walk["status_errors"] > 0:
            raise RuntimeError(f"fetch_all: {walk['status_errors']:.0f} error statuses "
                               f"(log {server.log_path})")
        log(f"bench: {backend} {label}: config fetch, {c} connections")
        # baseline, switchboard (warmed just before: the database's pages
        # must be in memory), baseline again.
        if not args.smoke:
            wrk(args, "fetch.lua", baseline.port, fetch_args, 2, c)
        b1, b1_cpu = measured(args, baseline, "fetch.lua", fetch_args, args.duration, c)
        if not args.smoke:
            prewarm([db, db + "-wal"] if backend == "sqlite" else
                     [os.path.join(args.pg_data, "base")] if args.pg_data else [])
            wrk(args, "fetch.lua", server.port, fetch_args, 3, c)
        sampler = RssSampler(server)
        real, real_cpu = measured(args, server, "fetch.lua", fetch_args, args.duration, c)
        result["rss_peak_mib"] = sampler.finish() / 1024
        result["vmhwm_mib"] = server.status_kib("VmHWM") / 1024
        b2, b2_cpu = measured(args, baseline, "fetch.lua", fetch_args, args.duration, c)
        result["fetch"] = real
        result["fetch_cpu_us"] = real_cpu
        result["fetch_baseline"] = {
            "rps": (b1["rps"] + b2["rps"]) / 2,
            "p50_us": (b1["p50_us"] + b2["p50_us"]) / 2,
            "p99_us": (b1["p99_us"] + b2["p99_us"]) / 2,
            "runs": [b1["rps"], b2["rps"]],
            "cpu_us": (b1_cpu + b2_cpu) / 2,
        }
        if real["requests"] <= 0 or real["status_errors"] > 0:
            raise RuntimeError(f"fetch: {real['status_errors']:.0f} error statuses of "
                               f"{real['requests']:.0f} (log {server.log_path})")

        log(f"bench: {backend} {label}: config fetch answered 304, in turns with the 200 "
            f"fetch, {c} connections")
        answered304 = count_answers(server.port, "304")
        # The 200 side sends If-None-Match too, with a tag that matches no
        # answer: both sides make the same requests, only the answer differs.
        tags = [str(devices), versions_dir, str(args.wrk_threads)]
        result["fetch304_turns"] = in_turns(args, (server, "fetch304.lua", tags + ["stale"]),
                                            (server, "fetch304.lua", tags), "304 turns")
        result["fetch304_answered"] = count_answers(server.port, "304") - answered304
        if result["fetch304_answered"] <= 0:
            raise RuntimeError(f"fetch304: no answer 304 (log {server.log_path})")

        # The same fetch with every answer two endpoints longer (target 6):
        # a second server on a copy of the dataset whose brokers have two
        # backups, measured in turns with this one.
        result.update(alternate_with_backups(args, backend, label, server, backups_url,
                                             devices, work))

        log(f"bench: {backend} {label}: registration, {args.register_connections} "
            f"connections")
        before = int(re.search(r"devices=(\d+)", run(
            [os.path.join(args.bin_dir, "bench_dataset"), "count", "--url", url],
            record=False).stdout).group(1))
        nonce = f"{random.getrandbits(32):08x}"
        acked_dir = os.path.join(work, f"acked-{backend}-{label}-{nonce}")
        os.makedirs(acked_dir, exist_ok=True)
        reg, reg_cpu = measured(args, server, "register.lua", [nonce, acked_dir],
                                args.duration, args.register_connections)
        result["register"] = reg
        result["register_cpu_us"] = reg_cpu

        log(f"bench: {backend} {label}: state reports, {args.register_connections} connections")
        reports_dir = os.path.join(work, f"reports-{backend}-{label}-{nonce}")
        os.makedirs(reports_dir, exist_ok=True)
        rep, rep_cpu = measured(args, server, "report.lua",
                                [str(devices), str(args.wrk_threads), nonce, reports_dir],
                                args.duration, args.register_connections)
        result["report"] = rep
        result["report_cpu_us"] = rep_cpu
    finally:
        code = server.stop()
        baseline.stop()
    result["serve_exit"] = code
    files = [os.path.join(acked_dir, f) for f in sorted(os.listdir(acked_dir))]
    verify = run([os.path.join(args.bin_dir, "bench_dataset"), "verify", "--url", url]
                 + files, check=False)
    match = re.search(r"acknowledged=(\d+) present=(\d+) missing=(\d+)", verify.stdout)
    if not match:
        raise RuntimeError(f"verify failed: {verify.stdout}{verify.stderr}")
    after = int(re.search(r"devices=(\d+)", run(
        [os.path.join(args.bin_dir, "bench_dataset"), "count", "--url", url],
        record=False).stdout).group(1))
    result["verify"] = {"acknowledged": int(match.group(1)), "present": int(match.group(2)),
                        "missing": int(match.group(3)), "stored_delta": after - before,
                        "wrk_acked": int(reg["acked"])}
    files = [os.path.join(reports_dir, f) for f in sorted(os.listdir(reports_dir))]
    verify = run([os.path.join(args.bin_dir, "bench_dataset"), "verify-reports", "--url", url]
                 + files, check=False)
    match = re.search(r"acknowledged=(\d+) devices=(\d+) current=(\d+) missing=(\d+)",
                      verify.stdout)
    if not match:
        raise RuntimeError(f"verify-reports failed: {verify.stdout}{verify.stderr}")
    result["report_verify"] = {"acknowledged": int(match.group(1)), "devices": int(match.group(2)),
                               "current": int(match.group(3)), "missing": int(match.group(4)),
                               "wrk_acked": int(rep["acked"])}
    if rep["acked"] <= 0:
        raise RuntimeError(f"reports: no request acknowledged (log {server.log_path})")
    if reg["acked"] <= 0:
        raise RuntimeError(f"registration: no request acknowledged (log {server.log_path})")
    if code != 0:
        raise RuntimeError(f"switchboard serve exited {code} (log {server.log_path})")
    return result


def aggregate(rounds):
    """Median round per figure (fetch by its ratio to the baseline,
    registration by its rate), the median of every round's 3-endpoint turns;
    worst case for memory and start time."""
    def median_by(key):
        ordered = sorted(rounds, key=key)
        return ordered[(len(ordered) - 1) // 2]
    fetch_round = median_by(lambda r: r["fetch"]["rps"] / r["fetch_baseline"]["rps"])
    def turns_median(key):
        turns = [t for r in rounds for t in r[key]]
        out = {k: statistics.median(t[k] for t in turns) for k in turns[0]}
        out["ratios"] = [t["ratio"] for t in turns]
        return out
    register_round = median_by(lambda r: r["register"]["ack_rps"])
    report_round = median_by(lambda r: r["report"]["ack_rps"])
    p99s = sorted(r["fetch"]["p99_us"] for r in rounds)
    out = {
        "fetch": dict(fetch_round["fetch"], p99_us=p99s[(len(p99s) - 1) // 2]),
        "fetch_baseline": fetch_round["fetch_baseline"],
        "fetch_cpu_us": fetch_round["fetch_cpu_us"],
        "fetch3": turns_median("fetch3_turns"),
        "fetch304": dict(turns_median("fetch304_turns"),
                         answered=sum(r["fetch304_answered"] for r in rounds)),
        "register": register_round["register"],
        "register_cpu_us": register_round["register_cpu_us"],
        "report": report_round["report"],
        "report_cpu_us": report_round["report_cpu_us"],
        "report_verify": {k: sum(r["report_verify"][k] for r in rounds)
                          for k in ("acknowledged", "devices", "current", "missing",
                                    "wrk_acked")},
        "rss_peak_mib": max(r["rss_peak_mib"] for r in rounds),
        "vmhwm_mib": max(r["vmhwm_mib"] for r in rounds),
        "ready_s": max(r["ready_s"] for r in rounds),
        "verify": {
            "acknowledged": sum(r["verify"]["acknowledged"] for r in rounds),
            "present": sum(r["verify"]["present"] for r in rounds),
            "missing": sum(r["verify"]["missing"] for r in rounds),
            "wrk_acked": sum(r["verify"]["wrk_acked"] for r in rounds),
        },
        "rounds": [{"fetch_ratio": r["fetch"]["rps"] / r["fetch_baseline"]["rps"],
                    "fetch_rps": r["fetch"]["rps"], "baseline_rps": r["fetch_baseline"]["rps"],
                    "p99_ms": r["fetch"]["p99_us"] / 1000,
                    "register_rps": r["register"]["ack_rps"]} for r in rounds],
    }
    return out


def measure(args, backend, base_url, devices, work):
    label = size_label(devices)
    result = {"backend": backend, "devices": devices, "label": label}
    # The dataset, and a second copy of it that target 6 adds backups to.
    schemas, dbs, urls, gens = [], [], [], []
    for name in (f"bench-{label}", f"bench-{label}-backups"):
        if backend == "sqlite":
            db = os.path.join(work, f"{name}.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            dbs.append(db)
            urls.append(f"sqlite3://db={db} timeout=5")
            gens.append([os.path.join(args.bin_dir, "bench_dataset"), "generate", "--url",
                         urls[-1], "--devices", str(devices)])
        else:
            schemas.append(f"{name.replace('-', '_').lower()}_{os.getpid()}")
            urls.append(f"{base_url} options=-csearch_path={schemas[-1]}")
            gens.append([os.path.join(args.bin_dir, "bench_dataset"), "generate", "--url",
                         base_url, "--pg-schema", schemas[-1], "--devices", str(devices)])
    url, backups_url = urls
    db = dbs[0] if dbs else None
    try:
        log(f"bench: {backend} {label}: generating the dataset (twice: the copy gets backups)")
        out = run(gens[0]).stdout
        result["generate_s"] = float(re.search(r"seconds=([\d.]+)", out).group(1))
        run(gens[1])
        if backend == "sqlite":
            result["db_mib"] = os.path.getsize(db) / MIB

        config_path = os.path.join(work, f"{backend}-{label}.yaml")
        result["config"] = write_config(config_path, backend, url,
                                        os.path.join(args.build_dir, "plugins"), args.threads)

        log(f"bench: {backend} {label}: in-process chain resolution")
        result["chain"] = chain_bench(args, url, devices, config_path,
                                      os.path.join(work, f"chain-{backend}-{label}.json"))

        rounds = []
        for k in range(args.repeat):
            if args.repeat > 1:
                log(f"bench: {backend} {label}: HTTP round {k + 1} of {args.repeat}")
            rounds.append(http_round(args, backend, label, url, backups_url, devices,
                                     config_path, work, db))
        result.update(aggregate(rounds))
        return result
    finally:
        for schema in schemas:
            run([os.path.join(args.bin_dir, "bench_dataset"), "drop-schema", "--url", base_url,
                 "--pg-schema", schema], check=False, record=False)
        for db in dbs if not args.keep else []:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)


# --- the table -----------------------------------------------------------------------------

def fmt(value, unit=""):
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return text + unit


def rows_for(results):
    rows = []  # (target, figure name, figure, baseline, ratio, target text, met)
    by_key = {(r["backend"], r["devices"]): r for r in results}
    fetch_min = {"sqlite": 0.5, "postgresql": 0.2}
    register_min = {"sqlite": 2000, "postgresql": 1000}
    for r in results:
        b, label = r["backend"], r["label"]
        name = "SQLite" if b == "sqlite" else "PostgreSQL"
        f, fb = r["fetch"], r["fetch_baseline"]
        ratio = f["rps"] / fb["rps"] if fb["rps"] else None
        rows.append(("1", f"config fetch req/s, {name} {label}", fmt(f["rps"]), fmt(fb["rps"]),
                     fmt(ratio, "×"), f"≥ {fetch_min[b]}×", ratio is not None and
                     ratio >= fetch_min[b]))
        f3 = r["fetch3"]
        rows.append(("6", f"config fetch req/s, 3-endpoint lists, in turns with the plain fetch "
                     f"(median of {len(f3['ratios'])} turns; each {min(f3['ratios']):.2f}–"
                     f"{max(f3['ratios']):.2f}×), {name} {label}", fmt(f3["rps"]),
                     fmt(f3["base_rps"]), fmt(f3["ratio"], "×"), "≥ 0.9×", f3["ratio"] >= 0.9))
        p99 = f["p99_us"] / 1000
        rows.append(("1", f"config fetch p99 ms (p50 {f['p50_us'] / 1000:.2f}), {name} {label}",
                     fmt(p99), fmt(fb["p99_us"] / 1000), fmt(p99 / (fb["p99_us"] / 1000), "×"),
                     "≤ 10 ms", p99 <= 10))
        reg, v = r["register"], r["verify"]
        rows.append(("2", f"registrations/s (acknowledged), {name} {label}", fmt(reg["ack_rps"]),
                     "—", "—", f"≥ {register_min[b]:,}/s", reg["ack_rps"] >= register_min[b]))
        rows.append(("2", f"acknowledged devices stored, {name} {label}",
                     f"{v['present']}/{v['acknowledged']}", "—", "—", "all",
                     v["missing"] == 0 and v["acknowledged"] == v["wrk_acked"]))
        n = r["fetch304"]
        rows.append(("7", f"config fetch answered 304, req/s in turns with the 200 fetch (median "
                     f"of {len(n['ratios'])} turns; each {min(n['ratios']):.2f}–"
                     f"{max(n['ratios']):.2f}×; CPU µs/request {n['cpu_us']:.0f} vs "
                     f"{n['base_cpu_us']:.0f}), {name} {label}", fmt(n["rps"]),
                     fmt(n["base_rps"]), fmt(n["ratio"], "×"), "≥ 1.0×", n["ratio"] >= 1.0))
        rep, rv = r["report"], r["report_verify"]
        rows.append(("7", f"state reports/s (acknowledged), {name} {label}", fmt(rep["ack_rps"]),
                     "—", "—", f"≥ {register_min[b]:,}/s", rep["ack_rps"] >= register_min[b]))
        rows.append(("7", f"acknowledged reports stored ({rv['acknowledged']:,} reports; devices "
                     f"whose stored report is their last acknowledged one), {name} {label}",
                     f"{rv['current']}/{rv['devices']}", "—", "—", "all",
                     rv["missing"] == 0 and rv["acknowledged"] == rv["wrk_acked"]))
        c = r["chain"]
        cr = c["BM_ChainResolve"] / c["BM_RawSociLookup"]
        rows.append(("3", f"chain resolution µs vs raw SOCI, {name} {label}",
                     fmt(c["BM_ChainResolve"]), fmt(c["BM_RawSociLookup"]), fmt(cr, "×"),
                     "≤ 1.5×", cr <= 1.5))
        rows.append(("5", f"server RSS peak MiB under fetch load (VmHWM {r['vmhwm_mib']:.0f}), "
                     f"{name} {label}", fmt(r["rss_peak_mib"]), "—", "—", "≤ 100 MiB",
                     max(r["rss_peak_mib"], r["vmhwm_mib"]) <= 100))
        rows.append(("5", f"start to /readyz 200, s, {name} {label}", fmt(r["ready_s"]), "—",
                     "—", "≤ 1 s", r["ready_s"] <= 1))
    for backend in ("sqlite", "postgresql"):
        sizes = sorted(d for (b, d) in by_key if b == backend)
        if len(sizes) < 2:
            continue
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        small, large = by_key[(backend, sizes[0])], by_key[(backend, sizes[-1])]
        span = f"{small['label']}→{large['label']}"

        def cost(r):  # per-request cost in units of the bare endpoint's
            return r["fetch_baseline"]["rps"] / r["fetch"]["rps"]
        g = cost(large) / cost(small)
        rows.append(("4", f"config fetch cost growth {span}, {name}", fmt(g, "×"), "—", "—",
                     "≤ 1.5×", g <= 1.5))
        g = large["chain"]["BM_ChainResolve"] / small["chain"]["BM_ChainResolve"]
        rows.append(("4", f"chain resolution time growth {span}, {name}", fmt(g, "×"), "—", "—",
                     "≤ 1.5×", g <= 1.5))
        g = large["register"]["ack_rps"] / small["register"]["ack_rps"]
        rows.append(("4", f"registration rate {span}, {name}", fmt(g, "×"), "—", "—",
                     "≥ 0.7×", g >= 0.7))
    rows.sort(key=lambda row: row[0])
    return rows


def render_table(rows):
    header = ("target", "figure", "value", "baseline", "ratio", "target", "met")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for t, name, value, base, ratio, target, met in rows:
        lines.append(f"| {t} | {name} | {value} | {base} | {ratio} | {target} | "
                     f"{'yes' if met else '**no**'} |")
    return "\n".join(lines)


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) // 1024
    wrk_version = run(["wrk", "-v"], check=False, record=False)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "memory_mib": mem,
        "wrk": (wrk_version.stdout + wrk_version.stderr).splitlines()[0].strip(),
        "load": os.getloadavg(),
    }


def write_docs(path, text):
    begin, end = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
    block = f"{begin}\n{text}\n{end}"
    if os.path.exists(path):
        doc = open(path).read()
        if begin in doc and end in doc:
            doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
        else:
            doc += "\n" + block + "\n"
    else:
        doc = "# Benchmarks\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--pg-data", default="", help="the cluster's data directory (prewarm)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=0,
                        help="server.threads for both servers (default: the shipped config's)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--fetch-connections", type=int, default=64)
    parser.add_argument("--turns", type=int, default=8,
                        help="targets 6 and 7: turns of the 3-endpoint server between the plain "
                        "one's, and of the 304 fetch between the 200 fetch's")
    parser.add_argument("--turn-duration", type=int, default=4, help="seconds per turn")
    parser.add_argument("--register-connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1,
                        help="HTTP rounds per backend and size; the table shows the median")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    parser.add_argument("--command-line", default="")
    args = parser.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.bin_dir = os.path.join(args.build_dir, "bin")
    if args.smoke:
        args.sizes, args.duration = "1000", 1
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in ("sqlite", "postgresql"):
            parser.error(f"unknown backend {b}")
    # Under CI=true a smoke run fails instead of skipping what it cannot run,
    # as the GoogleTest suites do (tests/support/missing_tool.h).
    ci = os.environ.get("CI", "").lower() in ("true", "1")
    if "postgresql" in backends and not args.pg_url:
        if args.smoke and ci:
            log("bench: no PostgreSQL URL (--pg-url); CI=true: a missing tool fails the run")
            return 1
        log("bench: no PostgreSQL URL (--pg-url): PostgreSQL figures skipped")
        backends.remove("postgresql")
    if shutil.which("wrk") is None:
        log("bench: wrk is not installed (scripts/setup installs it): HTTP benchmarks skipped")
        if args.smoke and not ci:
            return 0  # nothing to smoke-test without the load generator
        return 1

    work = tempfile.mkdtemp(prefix="switchboard-bench.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = []
    started = datetime.datetime.now(datetime.timezone.utc)
    try:
        for backend in backends:
            for n in sizes:
                results.append(measure(args, backend, args.pg_url, n, work))
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)

    rows = rows_for(results)
    table = render_table(rows)
    print(table)
    m = machine()
    with open(os.path.join(args.build_dir, "bench-results.json"), "w") as f:
        json.dump({"machine": m, "results": results, "commands": COMMANDS}, f, indent=1)
    if args.smoke:
        print(f"bench: smoke run finished: {len(results)} backend/size runs, every piece ran")
        return 0
    if not args.no_docs:
        lines = [
            f"Run {started:%Y-%m-%d %H:%M} UTC: `{args.command_line or 'scripts/bench'}` "
            f"(sizes {', '.join(size_label(n) for n in sizes)}; {args.duration} s per wrk run; "
            f"{args.repeat} HTTP round(s) per backend and size, median shown; "
            f"each backend's shipped config (threads: details below); wrk -t{args.wrk_threads}, "
            f"{args.fetch_connections} connections for fetch, {args.register_connections} for "
            f"registration).",
            "",
            f"Machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, "
            f"{m['memory_mib']:,} MiB RAM, {m['wrk']}; load average at the end "
            f"{m['load'][0]:.2f} / {m['load'][1]:.2f} / {m['load'][2]:.2f}.",
            "",
            table,
            "",
            "Details per run (baseline = bench_baseline_server, mean of the runs just before "
            "and just after):",
            "",
            "| backend | devices | config | dataset s | fetch p50/p90/p99 ms | baseline req/s "
            "(before / after) | server CPU µs/request: fetch, baseline, registration | "
            "register p50/p99 ms | DeviceMqtt µs | chain any-device µs | 3-endpoint fetch: "
            "p50/p99 ms, CPU µs/request (plain fetch in the same turns) | rounds: fetch ratio, "
            "p99 ms, registrations/s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results:
            f, reg, c, cfg = r["fetch"], r["register"], r["chain"], r["config"]
            lines.append(
                f"| {r['backend']} | {r['label']} | {cfg['file']} ({cfg['threads']} threads, "
                f"pool {cfg['pool_size']}) | {r['generate_s']:.1f} | "
                f"{f['p50_us'] / 1000:.2f} / {f['p90_us'] / 1000:.2f} / {f['p99_us'] / 1000:.2f} | "
                f"{' / '.join(f'{x:,.0f}' for x in r['fetch_baseline']['runs'])} | "
                f"{r['fetch_cpu_us']:.0f}, {r['fetch_baseline']['cpu_us']:.0f}, "
                f"{r['register_cpu_us']:.0f} | "
                f"{reg['p50_us'] / 1000:.2f} / {reg['p99_us'] / 1000:.2f} | "
                f"{c['BM_DeviceMqtt']:.1f} | {c['BM_ChainResolveAny']:.1f} | "
                f"{r['fetch3']['p50_us'] / 1000:.2f} / {r['fetch3']['p99_us'] / 1000:.2f}, "
                f"{r['fetch3']['cpu_us']:.0f} ({r['fetch3']['base_cpu_us']:.0f}) | "
                + "; ".join(f"{x['fetch_ratio']:.2f}× "
                            f"{x['p99_ms']:.1f} {x['register_rps']:,.0f}"
                            for x in r["rounds"]) + " |")
        lines += ["", "Every command the run executed, in order, is in "
                  "`<build dir>/bench-results.json` (`commands`)."]
        write_docs(args.docs, "\n".join(lines))
        log(f"bench: results written to {args.docs}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
    except RuntimeError as e:
        stop_all()
        log(f"bench: {e}")
        sys.exit(1)
