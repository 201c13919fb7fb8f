"""Alerts use cases: sources and devices, rules (CRUD + dry-run), ingestion (MQTT and webhook
call the same ``ingest``), the testing-site monitor, counters."""
