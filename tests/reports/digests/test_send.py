"""Digest delivery to the fake Slack over real HTTP: posts, DMs, the chart upload flow, visibility."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.context import Services
from bot.domain.errors import DeliveryError
from bot.domain.rules import Digest, RoutingRules
from bot.domain.settings import Settings
from bot.reports.digests.send import run_digest_command, send_digest
from bot.store.models import Delivery
from tests.delivery import drain
from tests.fakes.slack_server import FakeSlack
from tests.reports.digests import Row, seed

NOW = datetime(2026, 11, 23, 8, 0)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        server.members["C0HR"] = ["U0HRBOSS"]
        yield server


def _services(engine: Engine, rules: RoutingRules, fake: FakeSlack, recipients: list[str]) -> Services:
    digest = Digest(name="weekly", recipients=recipients, cron="0 9 * * mon", timezone="Europe/Oslo")
    return Services.create(
        Settings(),
        rules.model_copy(update={"digests": [digest]}),
        engine,
        None,  # type: ignore[arg-type]
        slack=WebClient(token="xoxb-test", base_url=fake.base_url),
    )


@pytest.fixture
def stored(sqlite_engine: Engine) -> Engine:
    seed(
        sqlite_engine,
        [
            Row(
                "support", NOW - timedelta(days=1), "Checkout is broken again", "negative", "high", "checkout"
            ),
            Row("hr", NOW - timedelta(days=2), "Secret HR complaint about pay", "negative", "high", "pay"),
        ],
    )
    return sqlite_engine


def _text_of(bodies: list[dict[str, Any]]) -> str:
    return " ".join(str(b.get("text", "")) + str(b.get("blocks", "")) for b in bodies)


def test_channels_get_posts_users_get_dms_and_restricted_texts_follow_membership(
    stored: Engine, rules: RoutingRules, fake: FakeSlack
) -> None:
    services = _services(stored, rules, fake, ["C0TRIAGE", "U0HRBOSS", "U0OTHER", "C0HR"])
    assert send_digest(services, services.rules.digests[0], slot=NOW, late=False, key="k") == 4
    drain(stored, fake)

    assert sorted(b["users"] for b in fake.calls("conversations.open")) == ["U0HRBOSS", "U0OTHER"]
    by_channel = {ch: _text_of(fake.posted(ch)) for ch in ("C0TRIAGE", "D0HRBOSS", "D0OTHER", "C0HR")}
    assert all("Checkout is broken again" in text for text in by_channel.values())
    assert "Secret HR complaint" in by_channel["D0HRBOSS"] and "Secret HR complaint" in by_channel["C0HR"]
    assert "Secret HR complaint" not in by_channel["C0TRIAGE"] + by_channel["D0OTHER"]
    assert "Sent late" not in _text_of(fake.posted())


def test_chart_goes_through_the_external_upload_flow(
    stored: Engine, rules: RoutingRules, fake: FakeSlack
) -> None:
    services = _services(stored, rules, fake, ["C0TRIAGE", "U0HRBOSS"])
    send_digest(services, services.rules.digests[0], slot=NOW, late=True, key="k")
    drain(stored, fake)

    assert len(fake.calls("files.getUploadURLExternal")) == 2
    assert (
        all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in fake.uploads.values()) and len(fake.uploads) == 2
    )
    completed = fake.calls("files.completeUploadExternal")
    assert sorted(c["channel_id"] for c in completed) == ["C0TRIAGE", "D0HRBOSS"]
    assert sorted(channel for _, channel in fake.shares) == ["C0TRIAGE", "D0HRBOSS"]
    assert {f["id"] for c in completed for f in json.loads(c["files"])} == set(fake.uploads)
    assert "Sent late: this digest was due 2026-11-23 09:00 CET" in _text_of(fake.posted("C0TRIAGE"))


def test_one_failing_recipient_does_not_stop_the_others(
    stored: Engine, rules: RoutingRules, fake: FakeSlack
) -> None:
    services = _services(stored, rules, fake, ["#no-such-channel", "C0TRIAGE"])
    send_digest(services, services.rules.digests[0], slot=NOW, late=False, key="k")
    drain(stored, fake)
    assert "Checkout is broken again" in _text_of(fake.posted("C0TRIAGE"))
    with Session(stored) as session:
        rows = {(r.channel, r.kind): (r.status, r.last_error) for r in session.exec(select(Delivery))}
    assert rows[("#no-such-channel", "digest")][0] == "failed"
    assert "channel_not_found" in rows[("#no-such-channel", "digest")][1]
    assert rows[("#no-such-channel", "upload")] == (
        "failed",
        "Slack refused the message: parent_delivery_failed",
    )


def test_without_slack_a_digest_cannot_be_composed(stored: Engine, rules: RoutingRules) -> None:
    services = Services.create(Settings(), rules, stored, None)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError, match="SLACK_BOT_TOKEN"):
        send_digest(services, services.rules.digests[0], slot=NOW, late=False, key="k")


def test_dry_run_prints_and_writes_the_chart(
    stored: Engine, rules: RoutingRules, fake: FakeSlack, tmp_path: Path
) -> None:
    services = _services(stored, rules, fake, ["C0TRIAGE"])
    out = io.StringIO()
    chart = tmp_path / "chart.png"
    code = run_digest_command(services, "weekly", dry_run=True, out=out, chart_path=chart, clock=lambda: NOW)
    assert code == 0
    assert "Checkout is broken again" in out.getvalue() and f"chart written to {chart}" in out.getvalue()
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert fake.posted() == []


def test_unknown_digest_lists_configured_names(stored: Engine, rules: RoutingRules, fake: FakeSlack) -> None:
    out = io.StringIO()
    assert (
        run_digest_command(_services(stored, rules, fake, ["C0TRIAGE"]), "daily", dry_run=True, out=out) == 1
    )
    assert "no digest named 'daily'" in out.getvalue() and "configured digests: weekly" in out.getvalue()
