"""Prometheus-compatible engines: hourly service-level rows with a latency histogram (connector in
streams, bucket maths in histogram)."""
