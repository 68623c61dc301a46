"""At start-up `serve` and `socket` join the public channels the rules file names (never failing on Slack)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from bot.app.runtime import join_rule_channels
from bot.domain.rules import RoutingRules
from tests.fakes.slack_server import FakeSlack
from tests.harness import pipeline


def test_start_up_joins_public_channels_and_asks_for_invites_to_private_ones(
    sqlite_engine: Engine, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeSlack() as slack, pipeline(sqlite_engine, rules, slack=slack) as p:
        slack.outside.update({"C0SOCIAL", "C0TRIAGE", "C0HR"})
        slack.private.add("C0HR")
        join_rule_channels(p.services)
        assert sorted(c["channel"] for c in slack.calls("conversations.join")) == ["C0SOCIAL", "C0TRIAGE"]
        assert slack.outside == {"C0HR"}
        assert "/invite the app there" in caplog.text and "C0HR" in caplog.text
        join_rule_channels(p.services)  # a restart: nothing left to join
        assert len(slack.calls("conversations.join")) == 2


def test_a_slack_error_while_joining_does_not_stop_start_up(
    sqlite_engine: Engine, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeSlack() as slack, pipeline(sqlite_engine, rules, slack=slack) as p:
        slack.queue("conversations.list", status=503, body="<html>upstream down</html>")
        join_rule_channels(p.services)
        assert "could not check channel membership at start-up" in caplog.text
