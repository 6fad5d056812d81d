-- Every device of the dataset fetches its config once (docs/benchmarks.md):
-- GET /api/v1/device/{uuid}/mqtt, thread t of T taking devices t, t+T,
-- t+2T, … in order. It brings the dataset to the steady state of a fleet
-- that has fetched since the last configuration change (the server then
-- records nothing on a fetch: core/src/domain/device_reports.h), and it
-- writes `<index> <ETag>` per device to OUTDIR/versions-<thread>.txt for
-- fetch304.lua. Once every device of a thread answered, the thread keeps
-- asking for one of them; run_bench.py stops wrk (SIGINT) when the files
-- hold every device.
--
--   wrk -tT -c64 -d900s -s fetch_all.lua http://127.0.0.1:PORT -- DEVICES T OUTDIR
--
-- The uuid and key formulas are tests/bench/dataset.h's; keep them in step.

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local devices, threads = 1000, 1
local cursor = 0
local seen = {}
local out = nil

function init(args)
  devices = tonumber(args[1]) or devices
  threads = tonumber(args[2]) or threads
  cursor = id
  out = io.open(args[3] .. "/versions-" .. id .. ".txt", "w")
  out:setvbuf("line")
end

local function device_uuid(i)
  local scrambled = (i * 2654435761) % 4294967296
  return string.format("%04x%04x-0000-4000-8000-%012x", math.floor(scrambled / 65536),
                       scrambled % 65536, i)
end

function request()
  local i = cursor
  if i < devices then
    cursor = cursor + threads
  else
    i = id % devices  -- every device of this thread is asked: repeat one
  end
  return wrk.format("GET", "/api/v1/device/" .. device_uuid(i) .. "/mqtt",
                    { ["X-Device-API-Key"] = "bench-device-key-" .. i })
end

function response(status, headers, body)
  if status ~= 200 then return end
  local hex = body:match('"username":"device_[0-9a-f]+%-0000%-4000%-8000%-([0-9a-f]+)"')
  local tag = nil
  for name, value in pairs(headers) do
    if name:lower() == "etag" then tag = value end
  end
  if not hex or not tag then return end
  local i = tonumber(hex, 16)
  if not seen[i] then
    seen[i] = true
    out:write(i, " ", tag, "\n")
  end
end

function done(summary, latency, requests)
  io.write(string.format("WRK_RESULT script=fetch_all requests=%d duration_us=%d rps=%.1f " ..
                         "p50_us=%d p90_us=%d p99_us=%d status_errors=%d\n",
                         summary.requests, summary.duration,
                         summary.requests / (summary.duration / 1e6), latency:percentile(50),
                         latency:percentile(90), latency:percentile(99), summary.errors.status))
end
