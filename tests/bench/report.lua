-- State reports (docs/benchmarks.md): PUT /api/v1/device/{uuid}/state with the
-- device's API key, thread t of T walking devices t, t+T, … in order (and
-- round again), so two reports of one device are a whole walk apart and
-- never in flight together. Each report's configVersion is
-- `bench-<RUN>-<seq>`, seq growing per thread; the request id carries the
-- device and seq, and the server echoes it (X-Request-Id), so every
-- acknowledged (204) report is appended to OUTDIR/reports-<thread>.txt as
-- `<uuid> bench-<RUN>-<seq>` for bench_dataset verify-reports.
--
--   wrk -tT -c16 -d10s -s report.lua http://127.0.0.1:PORT -- DEVICES T RUN OUTDIR
--
-- The uuid and key formulas are tests/bench/dataset.h's; keep them in step.

local next_id = 0
local threads = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local devices, walkers, run = 1000, 1, "00000000"
local cursor, seq = 0, 0
local out = nil
acked = 0

function init(args)
  devices = tonumber(args[1]) or devices
  walkers = tonumber(args[2]) or walkers
  run = args[3] or run
  out = io.open(args[4] .. "/reports-" .. id .. ".txt", "w")
  out:setvbuf("line")
  cursor = id
end

local function device_uuid(i)
  local scrambled = (i * 2654435761) % 4294967296
  return string.format("%04x%04x-0000-4000-8000-%012x", math.floor(scrambled / 65536),
                       scrambled % 65536, i)
end

function request()
  if cursor >= devices then cursor = id % devices end
  local i = cursor
  cursor = cursor + walkers
  seq = seq + 1
  local body = '{"configVersion":"bench-' .. run .. '-' .. seq .. '","connected":true,' ..
               '"broker":"mqtt://mqtt-02.bench.example:1883","agentVersion":"bench/1"}'
  return wrk.format("PUT", "/api/v1/device/" .. device_uuid(i) .. "/state", {
    ["X-Device-API-Key"] = "bench-device-key-" .. i,
    ["Content-Type"] = "application/json",
    ["X-Request-Id"] = "r" .. i .. "." .. seq,
  }, body)
end

function response(status, headers, body)
  if status ~= 204 then return end
  local rid = nil
  for name, value in pairs(headers) do
    if name:lower() == "x-request-id" then rid = value end
  end
  local i, s = (rid or ""):match("^r(%d+)%.(%d+)$")
  if not i then return end
  acked = acked + 1
  out:write(device_uuid(tonumber(i)), " bench-", run, "-", s, "\n")
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("acked") or 0) end
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT script=report requests=%d duration_us=%d rps=%.1f acked=%d ack_rps=%.1f " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d status_errors=%d connect_errors=%d " ..
    "read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), total,
    total / (summary.duration / 1e6), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
