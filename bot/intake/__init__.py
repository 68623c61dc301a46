"""How mentions enter the bot: Slack events, the ingest endpoint, replays and built-in source listeners."""
