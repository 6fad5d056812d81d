-- Registration (docs/benchmarks.md, target 2): POST /api/v1/device/register with a new
-- uuid on every request, the dataset's provisioning key (no maximum), JSON
-- body. HTTP/1.1 keep-alive with no Connection header (wrk's default).
--
--   wrk -t2 -c16 -d10s -s register.lua http://127.0.0.1:PORT -- RUN OUTDIR
--
-- RUN: 8 hex digits, unique per run (uuids never repeat across runs on one
-- database). Every acknowledged (200) uuid is appended to
-- OUTDIR/acked-<thread>.txt, read back from the response body, so the
-- harness can check that each one is stored (bench_dataset verify).
-- Prints one parseable line (see done()).

local provisioning_key = "bench-provisioning-key-7b1f0c55d3a94e28b6f1a0c9e4d27f63"
local next_id = 0
local threads = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local run = "00000000"
local counter = 0
local out = nil
acked = 0

function init(args)
  run = args[1] or run
  local dir = args[2]
  if dir then
    out = io.open(dir .. "/acked-" .. id .. ".txt", "w")
    out:setvbuf("line")
  end
end

function request()
  counter = counter + 1
  local uuid = string.format("%s-%04x-4000-9000-%012x", run, id, counter)
  local body = '{"uuid":"' .. uuid .. '","deviceName":"bench-registered-' .. counter ..
               '","deviceType":"sensor","deviceApiKey":"bench-register-key-' .. uuid ..
               '","region":"eu-west","agentVersion":"bench/1"}'
  return wrk.format("POST", "/api/v1/device/register", {
    ["Authorization"] = "Bearer " .. provisioning_key,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status == 200 then
    acked = acked + 1
    if out then
      local uuid = body:match('"uuid":"([0-9a-f%-]+)"')
      if uuid then out:write(uuid, "\n") end
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("acked") or 0) end
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT script=register requests=%d duration_us=%d rps=%.1f acked=%d ack_rps=%.1f " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d status_errors=%d connect_errors=%d " ..
    "read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), total,
    total / (summary.duration / 1e6), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
