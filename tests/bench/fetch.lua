-- Config fetch (docs/benchmarks.md, target 1): GET /api/v1/device/{uuid}/mqtt for a
-- random device of the dataset on every request, with that device's API key
-- (X-Device-API-Key on even devices, Authorization: Bearer on odd ones).
-- HTTP/1.1 keep-alive with no Connection header (wrk's default).
--
--   wrk -t2 -c64 -d10s -s fetch.lua http://127.0.0.1:PORT -- DEVICES
--
-- Prints one parseable line (see done()). The uuid and key formulas are
-- tests/bench/dataset.h's; keep them in step.

local devices = 1000
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  devices = tonumber(args[1]) or devices
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

-- "%08x-0000-4000-8000-%012x" of ((i * 2654435761) mod 2^32, i); the first
-- group in two 16-bit halves so no number ever leaves the exact double range.
local function device_uuid(i)
  local scrambled = (i * 2654435761) % 4294967296
  return string.format("%04x%04x-0000-4000-8000-%012x", math.floor(scrambled / 65536),
                       scrambled % 65536, i)
end

function request()
  local i = math.random(0, devices - 1)
  local key = "bench-device-key-" .. i
  local headers
  if i % 2 == 0 then
    headers = { ["X-Device-API-Key"] = key }
  else
    headers = { ["Authorization"] = "Bearer " .. key }
  end
  return wrk.format("GET", "/api/v1/device/" .. device_uuid(i) .. "/mqtt", headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT script=fetch requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d " ..
    "p99_us=%d max_us=%d status_errors=%d connect_errors=%d read_errors=%d " ..
    "write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
