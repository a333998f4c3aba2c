"""On-call tools: what PagerDuty and Opsgenie share (shared), and each of them (client in *_api,
connector in the module named after it)."""
