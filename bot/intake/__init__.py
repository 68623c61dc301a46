"""Taking mentions in: Slack events, /ingest records and replay files become stored mentions."""
