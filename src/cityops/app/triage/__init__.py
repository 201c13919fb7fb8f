"""Triage use cases: evaluation of triage suggestions on labelled sets, the keyword baseline."""
