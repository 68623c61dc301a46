"""Scheduling with a frozen clock: DST, several slots, restarts, two schedulers on one database, reload."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app.scheduler import SchedulerRunner, latest_slot, missed_slots
from bot.context import Services
from bot.domain import metrics
from bot.domain.rules import Alerts, Digest, RoutingRules
from bot.domain.settings import Settings
from bot.store.digest_runs import claim_slot
from bot.store.engine import init_db, make_engine
from bot.store.models import DigestRun
from tests.delivery import drain
from tests.fakes.slack_server import FakeSlack
from tests.reports.digests import Row, seed

DAILY = Digest(name="daily", recipients=["C0TRIAGE"], cron="0 9 * * *", timezone="Europe/Oslo", period="1d")
SAT_SLOT = datetime(2026, 10, 24, 7, 0)  # 09:00 CEST
MON_SLOT = datetime(2026, 10, 26, 8, 0)  # 09:00 CET, after the change on Sunday 25 October


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def _runner(db: Path, rules: RoutingRules, fake: FakeSlack, clock: Clock) -> SchedulerRunner:
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    services = Services.create(
        Settings(),
        rules.model_copy(update={"digests": [DAILY]}),
        engine,
        None,  # type: ignore[arg-type]
        slack=WebClient(token="xoxb-test", base_url=fake.base_url),
    )
    return SchedulerRunner(services, clock=clock)


def swap_rules(runner: SchedulerRunner, rules: RoutingRules) -> None:
    """What a reload does to the shared context before it re-syncs the jobs."""
    config = runner.services.config
    config.swap(dataclasses.replace(config.current, rules=rules))


def _runs(engine: Engine) -> list[tuple[datetime, bool]]:
    table = DigestRun.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.slot, table.c.late).order_by(table.c.slot))
        return [(slot, bool(late)) for slot, late in rows]


def test_slots_stay_at_nine_local_across_the_dst_change() -> None:
    assert latest_slot(DAILY, datetime(2026, 10, 24, 12, 0)) == SAT_SLOT
    assert latest_slot(DAILY, datetime(2026, 10, 25, 12, 0)) == datetime(2026, 10, 25, 8, 0)
    assert latest_slot(DAILY, datetime(2026, 10, 26, 12, 0)) == MON_SLOT
    assert latest_slot(DAILY, MON_SLOT - timedelta(seconds=1)) == datetime(2026, 10, 25, 8, 0)
    assert latest_slot(DAILY, MON_SLOT) == MON_SLOT


def test_missed_slots_is_the_latest_one_only() -> None:
    assert missed_slots(DAILY, last_run=None, now=MON_SLOT) == []
    assert missed_slots(DAILY, last_run=MON_SLOT, now=MON_SLOT + timedelta(hours=3)) == []
    assert missed_slots(DAILY, last_run=SAT_SLOT, now=MON_SLOT + timedelta(hours=3)) == [MON_SLOT]


def test_each_slot_is_sent_once(tmp_path: Path, rules: RoutingRules, fake: FakeSlack) -> None:
    clock = Clock(SAT_SLOT + timedelta(seconds=2))
    runner = _runner(tmp_path / "t.db", rules, fake, clock)
    seed(runner._services.engine, [Row("support", SAT_SLOT - timedelta(hours=2), "Order arrived broken")])
    metrics.clear()
    assert runner.run_digest("daily") is True
    assert runner.run_digest("daily") is False  # the job fired twice for one slot
    runs = {
        o: metrics.REGISTRY.get_sample_value(
            "social_router_digest_runs_total", {"digest": "daily", "outcome": o}
        )
        for o in ("queued", "claimed_elsewhere")
    }
    assert runs == {"queued": 1, "claimed_elsewhere": 1}
    clock.now = MON_SLOT + timedelta(seconds=1)
    assert runner.run_digest("daily") is True
    assert _runs(runner._services.engine) == [(SAT_SLOT, False), (MON_SLOT, False)]
    drain(runner._services.engine, fake)
    posts = fake.posted("C0TRIAGE")
    assert len(posts) == 2 and "Order arrived broken" in str(posts[0]["blocks"])
    assert "Order arrived broken" not in str(posts[1]["blocks"])  # a 1-day period ending on Monday


def test_restart_between_slots_sends_the_missed_slot_once_late(
    tmp_path: Path, rules: RoutingRules, fake: FakeSlack
) -> None:
    clock = Clock(SAT_SLOT)
    first = _runner(tmp_path / "t.db", rules, fake, clock)
    assert first.run_digest("daily") is True
    first._services.engine.dispose()  # the process stops; it is down on Sunday and Monday morning

    clock.now = MON_SLOT + timedelta(hours=3)
    second = _runner(tmp_path / "t.db", rules, fake, clock)
    assert second.catch_up() == ["daily@2026-10-26 08:00"]
    assert second.catch_up() == [] and second.run_digest("daily") is False
    assert _runs(second._services.engine) == [(SAT_SLOT, False), (MON_SLOT, True)]
    drain(second._services.engine, fake)
    late = fake.posted("C0TRIAGE")[-1]
    assert "Sent late: this digest was due 2026-10-26 09:00 CET" in str(late["blocks"])
    assert len(fake.posted("C0TRIAGE")) == 2


def test_two_schedulers_on_one_database_send_once(
    tmp_path: Path, rules: RoutingRules, fake: FakeSlack
) -> None:
    clock = Clock(MON_SLOT + timedelta(seconds=1))
    runners = [_runner(tmp_path / "t.db", rules, fake, clock) for _ in range(2)]
    results: list[bool] = []
    threads = [threading.Thread(target=lambda r=r: results.append(r.run_digest("daily"))) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    drain(runners[0]._services.engine, fake)
    assert len(fake.posted("C0TRIAGE")) == 1
    assert claim_slot(runners[0]._services.engine, "daily", MON_SLOT, late=False) is False


def test_reload_replaces_jobs_by_stable_id(tmp_path: Path, rules: RoutingRules, fake: FakeSlack) -> None:
    runner = _runner(tmp_path / "t.db", rules, fake, Clock(MON_SLOT))
    runner.start(paused=True)
    try:
        jobs = {j.id: j for j in runner.scheduler.get_jobs() if j.id.startswith(("digest:", "alerts:"))}
        assert set(jobs) == {"digest:daily", "alerts:spike"}
        assert jobs["digest:daily"].trigger.timezone == ZoneInfo("Europe/Oslo")
        assert jobs["digest:daily"].next_run_time.astimezone(ZoneInfo("Europe/Oslo")).hour == 9

        weekly = Digest(name="weekly", recipients=["C0TRIAGE"], cron="30 8 * * fri", timezone="UTC")
        changed = DAILY.model_copy(update={"cron": "0 7 * * *"})
        new_rules = rules.model_copy(
            update={"digests": [changed, weekly], "alerts": Alerts(check_every="10m")}
        )
        swap_rules(runner, new_rules)
        for _ in range(2):  # reloading twice (SIGHUP twice) must not duplicate anything
            runner.reload()
        ids = sorted(j.id for j in runner.scheduler.get_jobs() if j.id.startswith(("digest:", "alerts:")))
        assert ids == ["alerts:spike", "digest:daily", "digest:weekly"]
        assert (
            runner.scheduler.get_job("digest:daily").next_run_time.astimezone(ZoneInfo("Europe/Oslo")).hour
            == 7
        )
        assert runner.scheduler.get_job("alerts:spike").trigger.interval == timedelta(minutes=10)

        swap_rules(runner, rules.model_copy(update={"digests": [], "alerts": None}))
        runner.reload()
        assert [j.id for j in runner.scheduler.get_jobs() if j.id.startswith(("digest:", "alerts:"))] == []
    finally:
        runner.shutdown()
