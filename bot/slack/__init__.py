"""Slack edge: the Web API facade (paging, DMs, posts, uploads) and Block Kit builders."""
