"""Delivery: the outbox worker and its senders — the single path for every outgoing Slack message."""
