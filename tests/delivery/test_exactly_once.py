"""Exactly once, over real HTTP against the fake Slack: 429 storms, slow replies, kill -9, outages,
two workers on one channel, SIGTERM, and a card whose channel is gone.

Clocks are injected (the worker sleeps on a fake clock), so no test waits out a Retry-After for real.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app.scheduler import SchedulerRunner
from bot.context import Services
from bot.delivery.worker import EVENT_TYPE
from bot.domain.clock import utcnow
from bot.domain.rules import Digest, RoutingRules
from bot.domain.settings import Settings
from bot.store.engine import make_engine, session_scope
from bot.store.models import Delivery
from bot.store.outbox import enqueue, pending_count
from tests.delivery import worker_for
from tests.fakes.slack_server import FakeSlack
from tests.handlers import wait_for

ROOT = Path(__file__).resolve().parents[2]
SLOT = datetime(2026, 11, 23, 8, 0)
DIGEST = Digest(name="daily", recipients=["C0TRIAGE", "U0BOSS"], cron="0 9 * * *", timezone="Europe/Oslo")


class FakeClock:
    """Naive-UTC time that moves only when told to (or when the worker 'sleeps')."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def _card(engine: Engine, key: str, channel: str, text: str, fallback: str = "") -> int:
    with session_scope(engine) as session:
        row = enqueue(
            session,
            dedupe_key=key,
            kind="card",
            channel=channel,
            payload={"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]},
            fallback_channel=fallback,
        )
        assert row is not None and row.id is not None
        return row.id


def _row(engine: Engine, delivery_id: int) -> Delivery:
    with Session(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def _copies(fake: FakeSlack) -> Counter[int]:
    """How many messages Slack holds per delivery id (by our metadata)."""
    return Counter(m["metadata"]["event_payload"]["delivery_id"] for m in fake.with_metadata(EVENT_TYPE))


def test_a_429_storm_sends_cards_and_digests_exactly_once(
    sqlite_engine: Engine, rules: RoutingRules, fake: FakeSlack
) -> None:
    for _ in range(25):
        fake.queue(
            "chat.postMessage",
            status=429,
            body={"ok": False, "error": "ratelimited"},
            headers={"Retry-After": "30"},
        )
    for method in ("files.getUploadURLExternal", "conversations.open"):
        fake.queue(
            method, status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "5"}
        )
    cards = [
        _card(sqlite_engine, f"card:{i}", ("C0SALES", "C0SUPPORT")[i % 2], f"card {i}") for i in range(10)
    ]
    services = Services.create(
        Settings(),
        rules.model_copy(update={"digests": [DIGEST]}),
        sqlite_engine,
        None,  # type: ignore[arg-type]
        slack=worker_for(sqlite_engine, fake).sender._client,  # type: ignore[attr-defined]
    )
    runner = SchedulerRunner(services)
    assert runner.send_slot(DIGEST, SLOT, now=SLOT) is True
    assert runner.send_slot(DIGEST, SLOT, now=SLOT) is False  # a second scheduler, or a retried job
    clock = FakeClock()
    worker = worker_for(sqlite_engine, fake, clock=clock, sleep=clock.sleep, min_interval=1.0)
    for _ in range(200):
        if not pending_count(sqlite_engine):
            break
        worker.run_once()
        clock.sleep(31)
    assert pending_count(sqlite_engine) == 0
    copies = _copies(fake)
    with Session(sqlite_engine) as session:
        posts = [r for r in session.exec(select(Delivery)) if r.kind != "upload"]
    assert len(posts) == 12 and all(r.status == "sent" for r in posts)
    assert sorted(copies) == sorted(r.id or 0 for r in posts) and set(copies.values()) == {1}
    assert all(copies[i] == 1 for i in cards)
    assert sorted(channel for _, channel in fake.shares) == ["C0TRIAGE", "D0BOSS"]  # one chart each
    assert fake.answered("chat.postMessage", 429) == 25


def test_a_reply_slower_than_the_client_timeout_is_found_not_reposted(
    sqlite_engine: Engine, fake: FakeSlack
) -> None:
    delivery_id = _card(sqlite_engine, "card:1", "C0SUPPORT", "slow Slack")
    fake.slow("chat.postMessage", 1.0)  # Slack stores the message, then answers after 1 s
    clock = FakeClock()
    worker = worker_for(sqlite_engine, fake, timeout=0.5, clock=clock, sleep=clock.sleep)
    assert worker.run_once() == 0
    row = _row(sqlite_engine, delivery_id)
    assert (row.status, row.uncertain, row.attempts) == ("pending", True, 1) and "no answer" in row.last_error
    clock.sleep(600)
    assert worker.run_once() == 1
    row = _row(sqlite_engine, delivery_id)
    stored = fake.with_metadata(EVENT_TYPE)
    assert len(stored) == 1 and len(fake.calls("chat.postMessage")) == 1
    assert (row.status, row.message_ts, row.posted_channel) == ("sent", stored[0]["ts"], "C0SUPPORT")
    history = fake.calls("conversations.history")
    assert len(history) == 1 and history[0]["include_all_metadata"] in (True, "true", "1", 1)


def test_kill_9_after_slack_accepted_the_post_does_not_post_twice(tmp_path: Path, fake: FakeSlack) -> None:
    url = f"sqlite:///{tmp_path}/outbox.db"
    engine = make_engine(url)
    from bot.store.engine import init_db

    init_db(engine)
    delivery_id = _card(engine, "card:1", "C0SALES", "posted right before the crash")
    gate = fake.hold("chat.postMessage")  # Slack stores the post, the reply waits until told
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.worker_process", url, fake.base_url, "doomed"], cwd=ROOT
    )
    try:
        wait_for(lambda: fake.with_metadata(EVENT_TYPE), timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        gate.set()
        if process.poll() is None:
            process.kill()
    row = _row(engine, delivery_id)
    assert row.status == "pending" and row.claimed_by == "doomed" and row.claimed_until is not None
    clock = FakeClock(utcnow() + timedelta(minutes=3))  # the dead worker's claim has expired
    assert worker_for(engine, fake, clock=clock, sleep=clock.sleep).run_once() == 1
    row = _row(engine, delivery_id)
    assert row.status == "sent" and row.message_ts == fake.with_metadata(EVENT_TYPE)[0]["ts"]
    assert len(fake.calls("chat.postMessage")) == 1 and len(fake.messages) == 1
    engine.dispose()


def test_an_outage_of_any_length_keeps_the_row_pending_then_sends_it_once(
    sqlite_engine: Engine, fake: FakeSlack
) -> None:
    outage = 40
    for _ in range(outage):
        fake.queue("chat.postMessage", status=503, body={"ok": False, "error": "service_unavailable"})
    delivery_id = _card(sqlite_engine, "card:1", "C0SUPPORT", "after the outage")
    clock = FakeClock()
    start = clock.now
    worker = worker_for(
        sqlite_engine, fake, clock=clock, sleep=clock.sleep, backoff_base=2.0, backoff_cap=300.0
    )
    while len(fake.calls("chat.postMessage")) < outage:
        assert worker.run_once() == 0
        clock.sleep(301)  # the backoff never exceeds its 5-minute cap
    row = _row(sqlite_engine, delivery_id)
    assert clock.now - start > timedelta(minutes=10)
    assert (row.status, row.attempts) == ("pending", outage) and "503" in row.last_error
    assert worker.run_once() == 1
    assert _row(sqlite_engine, delivery_id).status == "sent" and len(fake.messages) == 1


def test_two_workers_share_one_channels_pace(tmp_path: Path, fake: FakeSlack) -> None:
    """Two processes (two engines on one file) pacing one channel draw no 429 from 1 msg/s Slack."""
    import threading

    fake.post_interval = 0.9  # Slack allows about one message per second per channel
    url = f"sqlite:///{tmp_path}/shared.db"
    engines = [make_engine(url) for _ in range(2)]
    from bot.store.engine import init_db

    init_db(engines[0])
    ids = [_card(engines[0], f"card:{i}", "C0SALES", f"m{i}") for i in range(5)]
    workers = [worker_for(e, fake, min_interval=1.0, batch=2) for e in engines]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run_forever, args=(stop, None, 0.05)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: pending_count(engines[0]) == 0, timeout=30)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert fake.answered("chat.postMessage", 429) == 0
    assert sorted(_copies(fake)) == ids and set(_copies(fake).values()) == {1}
    for engine in engines:
        engine.dispose()


def test_sigterm_releases_the_claims_this_process_holds(tmp_path: Path, fake: FakeSlack) -> None:
    url = f"sqlite:///{tmp_path}/outbox.db"
    engine = make_engine(url)
    from bot.store.engine import init_db

    init_db(engine)
    ids = [_card(engine, f"card:{i}", "C0SALES", f"m{i}") for i in range(4)]
    gate = fake.hold("chat.postMessage")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.worker_process", url, fake.base_url, "leaving"], cwd=ROOT
    )
    try:
        wait_for(lambda: fake.with_metadata(EVENT_TYPE), timeout=30)  # mid-send, holding all 4 claims
        assert all(_row(engine, i).claimed_by == "leaving" for i in ids)
        process.send_signal(signal.SIGTERM)
        gate.set()
        assert process.wait(20) == 0
    finally:
        gate.set()
        if process.poll() is None:
            process.kill()
    rows = [_row(engine, i) for i in ids]
    assert rows[0].status == "sent"  # the send in flight was finished and recorded
    assert [(r.status, r.claimed_until, r.claimed_by) for r in rows[1:]] == [("pending", None, "")] * 3
    assert worker_for(engine, fake).run_once() == 3  # a restart resumes at once
    assert set(_copies(fake).values()) == {1} and len(_copies(fake)) == 4
    engine.dispose()


def test_a_card_for_a_missing_or_archived_channel_goes_to_triage_with_a_note(
    sqlite_engine: Engine, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.channels["old-sales"] = "C0ARCHIVED"
    fake.archived.add("C0ARCHIVED")
    gone = _card(sqlite_engine, "card:1", "C0GONE", "meant for a deleted channel", fallback="C0TRIAGE")
    archived = _card(sqlite_engine, "card:2", "C0ARCHIVED", "meant for an archived one", fallback="C0TRIAGE")
    restricted = _card(
        sqlite_engine, "card:3", "C0GONE", "an HR text", fallback=""
    )  # restricted: no fallback
    restricted_too = _card(sqlite_engine, "card:4", "C0GONE", "another HR text", fallback="")
    worker = worker_for(sqlite_engine, fake)
    for _ in range(3):
        worker.run_once()
    triage = fake.posted("C0TRIAGE")
    assert len(triage) == 2
    notes = [b["blocks"][0]["elements"][0]["text"] for b in triage]
    assert "Meant for <#C0GONE>" in notes[0] and "channel_not_found" in notes[0]
    assert "Meant for <#C0ARCHIVED>" in notes[1] and "is_archived" in notes[1]
    assert "meant for a deleted channel" in str(triage[0]["blocks"])
    for delivery_id in (gone, archived):
        row = _row(sqlite_engine, delivery_id)
        assert (row.status, row.channel, row.posted_channel) == ("sent", "C0TRIAGE", "C0TRIAGE")
    for delivery_id in (restricted, restricted_too):
        row = _row(sqlite_engine, delivery_id)
        assert row.status == "failed" and "channel_not_found" in row.last_error
    assert "HR text" not in str(fake.messages)  # refused by Slack, and never rerouted
    refusals = [r for r in caplog.records if "Slack refused messages to C0GONE" in r.getMessage()]
    assert len(refusals) == 2  # once rerouted, once failed: once per channel and error, not per row
