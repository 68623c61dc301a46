"""The outbox against real databases and the fake Slack over HTTP: durable, paced, never twice.

Tests taking `engine` run on SQLite and, when TEST_DATABASE_URL_PG is set, on PostgreSQL too.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery.senders import SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.domain.clock import utcnow
from bot.slack.cards import render_card
from bot.store.engine import session_scope
from bot.store.models import Delivery
from bot.store.outbox import enqueue, find, pending_count
from tests.fakes.slack_server import FakeSlack
from tests.slack.test_cards import VIEW


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def _worker(engine: Engine, fake: FakeSlack, **kwargs: float) -> DeliveryWorker:
    sender = SlackSender(WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[]))
    options: dict[str, float] = {"min_interval": 0.0, "backoff_base": 0.05, **kwargs}
    return DeliveryWorker(engine, sender, **options)  # type: ignore[arg-type]


def _add(engine: Engine, key: str, channel: str, text: str, **kwargs: Any) -> int:
    with session_scope(engine) as session:
        row = enqueue(session, dedupe_key=key, kind="card", channel=channel, payload={"text": text}, **kwargs)
        assert row is not None and row.id is not None
        return row.id


def _row(engine: Engine, delivery_id: int) -> Delivery:
    with Session(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def _drain(worker: DeliveryWorker, done: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "outbox did not drain in time"
        worker.run_once()
        time.sleep(0.02)


def test_enqueue_dedupes_on_key(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = enqueue(session, dedupe_key="card:1", kind="card", channel="C0HR", payload={"text": "a"})
        again = enqueue(session, dedupe_key="card:1", kind="card", channel="C0SALES", payload={"text": "b"})
        assert first is not None and first.status == "pending" and again is None
    with Session(engine) as session:
        rows = session.exec(select(Delivery)).all()
        assert [(r.dedupe_key, r.channel, json.loads(r.payload)) for r in rows] == [
            ("card:1", "C0HR", {"text": "a"})
        ]
        found = find(session, "card:1")
        assert found is not None and found.id == first.id


def test_card_is_delivered_and_recorded(engine: Engine, fake: FakeSlack) -> None:
    card = render_card(VIEW)
    with session_scope(engine) as session:
        row = enqueue(
            session, dedupe_key="card:42", kind="card", channel="#team-support", payload=card, mention_id=None
        )
        assert row is not None and row.id is not None
        delivery_id = row.id
    assert _worker(engine, fake).run_once() == 1
    posted = fake.posted("C0SUPPORT")
    assert len(posted) == 1 and posted[0]["blocks"] == card["blocks"] and posted[0]["text"] == card["text"]
    row = _row(engine, delivery_id)
    assert (row.status, row.posted_channel, row.attempts, row.claimed_until) == ("sent", "C0SUPPORT", 1, None)
    assert row.message_ts == fake.messages[("C0SUPPORT", row.message_ts)]["ts"] and row.sent_at is not None
    assert pending_count(engine) == 0


def test_rate_limit_honours_retry_after(sqlite_engine: Engine, fake: FakeSlack) -> None:
    fake.queue(
        "chat.postMessage",
        status=429,
        body={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "1"},
    )
    delivery_id = _add(sqlite_engine, "card:1", "C0PRODUCT", "please add dark mode")
    worker = _worker(sqlite_engine, fake)
    assert worker.run_once() == 0
    row = _row(sqlite_engine, delivery_id)
    assert row.status == "pending" and "rate limited" in row.last_error and row.attempts == 0
    _drain(worker, lambda: _row(sqlite_engine, delivery_id).status == "sent")
    first, second = fake.timestamps("chat.postMessage")
    assert second - first >= 0.95  # lower bound only
    assert [b["text"] for b in fake.posted("C0PRODUCT")] == ["please add dark mode"] * 2
    assert len(fake.messages) == 1  # exactly one post succeeded
    assert _row(sqlite_engine, delivery_id).attempts == 1  # the 429 did not use up an attempt


def test_server_error_then_success_posts_one_card(sqlite_engine: Engine, fake: FakeSlack) -> None:
    fake.queue("chat.postMessage", status=500, body="<html>oops</html>")
    delivery_id = _add(sqlite_engine, "card:1", "C0SUPPORT", "refund please")
    worker = _worker(sqlite_engine, fake)
    _drain(worker, lambda: _row(sqlite_engine, delivery_id).status == "sent")
    assert [m["text"] for m in fake.messages.values()] == ["refund please"]
    row = _row(sqlite_engine, delivery_id)
    assert (row.attempts, row.last_error) == (2, "")


def test_permanent_error_fails_at_once_and_is_not_retried(
    sqlite_engine: Engine, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    delivery_id = _add(sqlite_engine, "card:1", "C0GONE", "lost channel")
    worker = _worker(sqlite_engine, fake)
    assert worker.run_once() == 0
    assert worker.run_once() == 0
    row = _row(sqlite_engine, delivery_id)
    assert row.status == "failed" and "channel_not_found" in row.last_error
    assert len(fake.calls("chat.postMessage")) == 1
    assert f"delivery {delivery_id}" in caplog.text and "xoxb-test" not in caplog.text


def test_restart_delivers_pending_and_abandoned_rows_exactly_once(engine: Engine, fake: FakeSlack) -> None:
    abandoned = _add(engine, "card:1", "C0HR", "claimed by a dead worker")
    waiting = _add(engine, "card:2", "C0SALES", "never claimed")
    done = _add(engine, "card:3", "C0SALES", "already sent")
    busy = _add(engine, "card:4", "C0SALES", "claimed by a live worker")
    with session_scope(engine) as session:
        for delivery_id, claimed, status in (
            (abandoned, -60, "pending"),
            (done, None, "sent"),
            (busy, 60, "pending"),
        ):
            row = session.get(Delivery, delivery_id)
            assert row is not None
            row.status, row.message_ts = status, "1600000000.000100" if status == "sent" else ""
            row.claimed_until = None if claimed is None else utcnow() + timedelta(seconds=claimed)
            session.add(row)
    worker = _worker(engine, fake)
    assert worker.run_once() == 2
    assert worker.run_once() == 0
    assert sorted(b["text"] for b in fake.posted()) == ["claimed by a dead worker", "never claimed"]
    assert [_row(engine, i).status for i in (abandoned, waiting, done, busy)] == [
        "sent",
        "sent",
        "sent",
        "pending",
    ]


def test_thread_reply_waits_for_parent_and_uses_its_ts(engine: Engine, fake: FakeSlack) -> None:
    fake.queue("chat.postMessage", status=500, body={"ok": False, "error": "internal_error"})
    parent = _add(engine, "card:1", "#team-support", "first card")
    child = _add(engine, "dup:2", "#team-support", "seen again", parent_id=parent)
    with session_scope(engine) as session:
        enqueue(
            session,
            dedupe_key="update:1",
            kind="update",
            channel="C0SUPPORT",
            payload={"text": "acknowledged"},
            parent_id=parent,
        )
    worker = _worker(engine, fake, backoff_base=0.3)
    worker.run_once()
    assert [b["text"] for b in fake.calls("chat.postMessage")] == ["first card"]  # the reply waited
    _drain(worker, lambda: pending_count(engine) == 0)
    parent_ts = _row(engine, parent).message_ts
    reply = fake.posted("C0SUPPORT")[-1]
    assert (
        reply["text"] == "seen again" and reply["thread_ts"] == parent_ts and reply["channel"] == "C0SUPPORT"
    )
    assert _row(engine, child).status == "sent"
    assert fake.messages[("C0SUPPORT", parent_ts)]["text"] == "acknowledged"


def test_reply_to_a_failed_parent_fails_too(engine: Engine, fake: FakeSlack) -> None:
    parent = _add(engine, "card:1", "C0GONE", "lost")
    child = _add(engine, "dup:2", "C0GONE", "lost again", parent_id=parent)
    worker = _worker(engine, fake)
    _drain(worker, lambda: pending_count(engine) == 0)
    assert _row(engine, child).status == "failed" and "parent" in _row(engine, child).last_error
    assert len(fake.calls("chat.postMessage")) == 1


def test_per_channel_spacing_does_not_hold_up_other_channels(sqlite_engine: Engine, fake: FakeSlack) -> None:
    _add(sqlite_engine, "card:1", "C0PRODUCT", "product one")
    _add(sqlite_engine, "card:2", "C0PRODUCT", "product two")
    _add(sqlite_engine, "card:3", "C0SALES", "sales one")
    worker = _worker(sqlite_engine, fake, min_interval=0.3)
    _drain(worker, lambda: pending_count(sqlite_engine) == 0)
    # the second product card waited for its channel's slot; the sales card did not wait for it
    assert [b["text"] for b in fake.posted()] == ["product one", "sales one", "product two"]


def test_two_workers_never_send_the_same_row(engine: Engine, fake: FakeSlack) -> None:
    with session_scope(engine) as session:
        for i in range(60):
            enqueue(
                session, dedupe_key=f"card:{i}", kind="card", channel="C0SOCIAL", payload={"text": f"m{i}"}
            )
    workers = [_worker(engine, fake, batch=7) for _ in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run_forever, args=(stop, None, 0.02)) for w in workers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while pending_count(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(5)
    assert sorted(b["text"] for b in fake.posted()) == sorted(f"m{i}" for i in range(60))
