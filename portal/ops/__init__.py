"""Running the portal as a service: health and readiness probes, one JSON log line per request
with a request id, and Prometheus metrics (portal/ops/metrics.py)."""
