"""Fake external services (Slack Web API, OpenAI) served over real HTTP for tests."""
