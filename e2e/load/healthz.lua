-- wrk script for /healthz: only prints the figures run.sh reads.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "HEALTHZ_RESULT requests=%d rps=%.1f p99_ms=%.3f non2xx=%d\n",
    summary.requests,
    summary.requests / secs,
    latency:percentile(99) / 1000,
    summary.errors.status
  ))
end
