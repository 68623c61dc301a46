"""Helpers for tests that start `python -m bot` as a real process: a free port and its environment."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from tests.fakes.slack_server import FakeSlack
from tests.harness import trained_model_path


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; the process binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(tmp_path: Path, rules_file: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    """The environment of a `python -m bot` process wired to FakeSlack and a SQLite file in tmp_path.

    Slack and OpenAI variables of the developer's own shell are dropped, so a test never reaches out.
    """
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/w.db",
        "ROUTING_RULES": str(rules_file),
        "LOCAL_MODEL_PATH": str(trained_model_path()),
        "LOG_LEVEL": "INFO",
        **extra,
    }
