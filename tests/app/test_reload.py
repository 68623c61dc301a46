"""SIGHUP reload is all or nothing: every reader sees the new rules file at once, or the old one stays."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.app.bootstrap import build_cascade, connect_slack
from bot.app.reload import reload_rules
from bot.context import Services
from bot.domain.routing import decide_route
from tests.conftest import RULES_YAML
from tests.fakes.slack_server import FakeSlack
from tests.harness import test_settings
from tests.processes import free_port

NEW_RULES = RULES_YAML.replace("channel: C0PRODUCT", "channel: '#team-triage-product'").replace(
    "keywords: [glassdoor, kununu]", "keywords: [glassdoor, kununu, banana]"
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    slack.channels["team-triage-product"] = "C0NEWPROD"
    yield slack
    slack.stop()


@pytest.fixture
def services(sqlite_engine: Engine, rules_file: Path, fake: FakeSlack) -> Services:
    settings = replace(test_settings(fake), routing_rules=rules_file)
    from bot.domain.rules import load_rules

    rules = load_rules(rules_file)
    cascade = build_cascade(settings, rules, sqlite_engine, use_llm=False)
    return connect_slack(
        settings, rules, sqlite_engine, cascade, WebClient(token="xoxb-test", base_url=fake.base_url)
    )


def test_a_valid_file_reaches_every_reader_at_once(services: Services, rules_file: Path) -> None:
    before = services.config.current
    rules_file.write_text(NEW_RULES, encoding="utf-8")
    assert reload_rules(services) is True
    after = services.config.current
    assert after is not before
    # overrides (the cascade), routing and the channel map all come from the new file
    result = services.cascade.classify("I love banana bread")
    assert (result.department, result.classifier) == ("hr", "rules")
    crash = replace(result, department="product", confidence=0.99, classifier="local")
    route = decide_route(crash, services.rules)
    assert services.channel_id(route.channel or "") == "C0NEWPROD"
    assert services.cascade.local is before.cascade.local  # the model is shared, not reloaded


def test_an_invalid_file_keeps_the_old_rules_and_says_why(
    services: Services, rules_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = services.config.current
    rules_file.write_text(RULES_YAML.replace("min_confidence: 0.6", "min_confidence: 7"), encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        assert reload_rules(services) is False
    assert services.config.current is before
    assert any(
        "min_confidence" in r.getMessage() and "keeping the previous" in r.getMessage()
        for r in caplog.records
    )


def test_slack_unreachable_during_reload_keeps_the_old_rules(
    services: Services, rules_file: Path, fake: FakeSlack
) -> None:
    before = services.config.current
    rules_file.write_text(NEW_RULES, encoding="utf-8")
    fake.stop()  # the new '#name' cannot be resolved: nothing half-applied
    assert reload_rules(services) is False
    assert services.config.current is before


def test_sighup_reloads_a_running_process(tmp_path: Path, rules_file: Path, fake: FakeSlack) -> None:
    """The signal wiring itself, in a real `serve --role worker` process."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/w.db",
        "ROUTING_RULES": str(rules_file),
        "LOCAL_MODEL_PATH": str(test_settings(fake).model_path),
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--role", "worker", "--port", str(free_port())],
            env=env,
            stderr=stderr,
        )
    try:
        assert _wait_for_line(worker, log, "listening on"), log.read_text()
        rules_file.write_text(NEW_RULES, encoding="utf-8")
        worker.send_signal(signal.SIGHUP)
        assert _wait_for_line(worker, log, "is now in effect"), log.read_text()
    finally:
        worker.terminate()
        assert worker.wait(timeout=30) == 0


def _wait_for_line(process: subprocess.Popen[bytes], log: Path, needle: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if needle in log.read_text():
            return True
        time.sleep(0.1)
    return needle in log.read_text()
