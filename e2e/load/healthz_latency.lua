-- wrk script for /healthz latency: prints p50, p99 and the slowest answer.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "HEALTHZ_LATENCY requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.1f non2xx=%d\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status
  ))
end
