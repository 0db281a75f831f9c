-- wrk script for bench/run.py: stops each thread after KOKI_WRK_MAX_REQUESTS responses (0: only
-- the -d duration bounds the run), counts responses that are not 2xx, and prints one JSON line
-- (prefixed "KOKI_WRK ") with throughput, latency percentiles and every kind of error.

local max_requests = tonumber(os.getenv("KOKI_WRK_MAX_REQUESTS") or "0")
local accept_language = os.getenv("KOKI_WRK_ACCEPT_LANGUAGE") or "de-DE,de;q=0.9,en;q=0.8"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  responses = 0
  non_2xx = 0
  bytes_body = 0
  wrk.headers["Accept-Language"] = accept_language
  wrk.headers["User-Agent"] = "koki-bench (wrk)"
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
  if body then
    bytes_body = bytes_body + #body
  end
  if max_requests > 0 and responses >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local counted, bad, body = 0, 0, 0
  for _, thread in ipairs(threads) do
    counted = counted + (thread:get("responses") or 0)
    bad = bad + (thread:get("non_2xx") or 0)
    body = body + (thread:get("bytes_body") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'KOKI_WRK {"requests": %d, "responses": %d, "duration_us": %d, "bytes": %d, ' ..
    '"body_bytes": %d, "non_2xx": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, counted, summary.duration, summary.bytes, body, bad,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
