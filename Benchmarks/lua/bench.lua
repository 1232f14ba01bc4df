-- wrk script for every Signet benchmark and its peers (Benchmarks/run.sh).
-- The request is fixed for the whole run and taken from the environment, so wrk sends it without
-- calling into Lua per request:
--   BENCH_METHOD        GET (default) or POST
--   BENCH_BODY_FILE     file whose bytes are the request body (binary safe)
--   BENCH_CONTENT_TYPE  Content-Type of the body
--   BENCH_TOKEN         bearer token (Authorization header)
-- done() prints one line "BENCH_JSON {...}" with the request count, duration, latency percentiles
-- (microseconds) and errors; run.sh keeps that line as the raw result.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

-- wrk's default resolve() opens and closes a probe connection to each address before the run. The
-- targets here are literal 127.0.0.1 URLs, so the probe tells nothing, and `openssl ocsp -port`
-- (OpenSSL 3.0) spins forever on a connection that closes without a request. Skip it.
function wrk.resolve(host, service)
  wrk.addrs = wrk.lookup(host, service)
end

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

local content_type = os.getenv("BENCH_CONTENT_TYPE")
if content_type and content_type ~= "" then
  wrk.headers["Content-Type"] = content_type
end

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.6f,"bytes":%d,' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
