"""Spike alerts: detection on synthetic hourly series, then the full check over a real database and Slack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app.scheduler import SchedulerRunner
from bot.context import Services
from bot.domain.rules import Alerts, RoutingRules
from bot.domain.settings import Settings
from bot.reports.alerts import check_spikes, detect_spikes
from bot.store.models import AlertRecord
from tests.delivery import drain
from tests.fakes.slack_server import FakeSlack
from tests.reports.digests import Row, seed

ALERTS = Alerts(window="1h", factor=3.0, min_count=5, cooldown="6h", baseline_days=7)
TODAY = datetime(2026, 11, 23)


def _series(per_hour: Callable[[int, int], int]) -> dict[datetime, int]:
    """Hour → count for 8 days up to today's 23:00; per_hour(day_index, hour) with today = 7."""
    start = TODAY - timedelta(days=7)
    return {start + timedelta(days=d, hours=h): per_hour(d, h) for d in range(8) for h in range(24)}


def test_daily_rhythm_does_not_alert() -> None:
    lunch_peak = _series(lambda d, h: 40 if h == 12 else 2)
    now = TODAY + timedelta(hours=12, minutes=50)
    assert detect_spikes({("support", ""): lunch_peak}, ALERTS, now) == []


def test_slow_rise_does_not_alert() -> None:
    rising = _series(lambda d, h: round(20 * 1.04**d))
    assert detect_spikes({("support", ""): rising}, ALERTS, TODAY + timedelta(hours=15, minutes=30)) == []


def test_sudden_tenfold_alerts_and_names_the_topic() -> None:
    now = TODAY + timedelta(hours=15, minutes=30)
    total = _series(lambda d, h: 30 if (d, h) == (7, 15) else 3)
    topic = _series(lambda d, h: 27 if (d, h) == (7, 15) else 0)
    quiet = _series(lambda d, h: 3)
    spikes = detect_spikes(
        {("support", ""): total, ("support", "outage"): topic, ("sales", ""): quiet}, ALERTS, now
    )
    assert [(s.department, s.topic, s.count) for s in spikes] == [
        ("support", "outage", 27)
    ]  # topic, not total
    assert spikes[0].baseline == 0 and spikes[0].window_start == TODAY + timedelta(hours=15)


def test_department_spike_without_a_topic() -> None:
    total = _series(lambda d, h: 30 if (d, h) == (7, 15) else 3)
    spikes = detect_spikes({("support", ""): total}, ALERTS, TODAY + timedelta(hours=15, minutes=5))
    assert [(s.department, s.topic, s.count, s.baseline) for s in spikes] == [("support", "", 30, 3.0)]


def test_a_few_mentions_over_an_empty_baseline_do_not_alert() -> None:
    few = _series(lambda d, h: 4 if (d, h) == (7, 3) else 0)
    assert detect_spikes({("hr", ""): few}, ALERTS, TODAY + timedelta(hours=3, minutes=30)) == []


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def services(engine: Engine, rules: RoutingRules, fake: FakeSlack) -> Services:
    rows = [
        Row(
            "support",
            TODAY - timedelta(days=d) + timedelta(hours=h, minutes=m),
            "Invoice question",
            topics="billing",
        )
        for d in range(1, 8)
        for h in range(10, 17)
        for m in (10, 40)
    ]
    rows += [
        Row(
            "support",
            TODAY + timedelta(hours=15, minutes=i),
            f"Site is down for me #{i}",
            "negative",
            "high",
            "outage,login",
            f"https://social.example/{i}",
        )
        for i in range(25)
    ]
    rows += [
        Row("product", TODAY + timedelta(hours=15, minutes=i), "Dark mode please", topics="feature")
        for i in range(8)
    ]
    seed(engine, rows)
    return Services.create(
        Settings(),
        rules,
        engine,
        None,  # type: ignore[arg-type]
        slack=WebClient(token="xoxb-test", base_url=fake.base_url),
    )


def test_a_real_spike_alerts_once_with_links(services: Services, fake: FakeSlack) -> None:
    now = TODAY + timedelta(hours=15, minutes=30)
    spikes = check_spikes(services, now=now)
    drain(services.engine, fake)
    assert sorted((s.department, s.topic, s.related, s.count) for s in spikes) == [
        ("product", "feature", (), 8),
        ("support", "login", ("outage",), 25),
    ]
    support = " ".join(str(b["blocks"]) for b in fake.posted("C0SUPPORT"))
    assert "topic *login* (with outage): 25 mentions in the last 1h vs 0.0 usual" in support
    assert "<https://social.example/24|Site is down for me #24>" in support
    assert fake.calls("conversations.open")[0]["users"] == "U0PRODMGR"  # product has a manager: a DM
    assert "Dark mode please" in str(fake.posted("D0PRODMGR")[0]["blocks"])

    assert check_spikes(services, now=now + timedelta(minutes=10)) == []  # cooldown
    with services.engine.connect() as conn:
        topics = sorted(conn.execute(select(AlertRecord.topic)).scalars())  # type: ignore[call-overload]
    assert topics == ["feature", "login"]
    assert len(fake.posted()) == 2


def test_the_scheduled_check_runs_once_per_interval(services: Services, fake: FakeSlack) -> None:
    now = TODAY + timedelta(hours=15, minutes=31)
    runners = [SchedulerRunner(services, clock=lambda: now) for _ in range(2)]
    assert [r.run_alerts() for r in runners] == [True, False]
    drain(services.engine, fake)
    assert len(fake.posted()) == 2
