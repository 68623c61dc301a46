"""End-to-end harness: the real HTTP front, pipeline workers and a trained local model against FakeSlack.

`tests/handlers` serves the app for listener tests; this adds what pipeline tests need on top: any
cascade (LLM or not), /ingest with a token, raw signed requests (retries, bad signatures), the
classification and delivery workers (drained synchronously, or as the threads `serve` runs), and
readers for the cards FakeSlack received and the rows the database holds.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.app.bootstrap import build_cascade, connect_slack
from bot.app.runtime import Runtime, start_pipeline_workers
from bot.app.web import WebApp, make_server
from bot.classify.cascade import Cascade
from bot.classify.local import load_or_train
from bot.classify.training import FORMAT, VERSION
from bot.context import Services
from bot.delivery.senders import SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.domain.routing import decide_route
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.pipeline.copies import result_from_row
from bot.pipeline.worker import ClassificationWorker
from bot.store.models import Classification, Delivery, Mention
from bot.store.outbox import pending_count
from handlers import create_app
from tests.fakes.http import serving
from tests.fakes.slack_server import FakeSlack
from tests.handlers import SECRET, wait_for

INGEST_TOKEN = "ingest-test-token"
_MENTION_ID = re.compile(r"Mention #(\d+) ·")
__all__ = ["INGEST_TOKEN", "SECRET", "Card", "Pipeline", "pipeline", "sign", "trained_model_path", "wait_for"]


@functools.cache
def trained_model_path() -> Path:
    """The local model, trained once and cached outside the repo: training takes many seconds.

    load_or_train retrains when the seeds change; the file name carries the model version and format.
    """
    path = Path(tempfile.gettempdir()) / "social-router-tests" / f"model-{VERSION}-f{FORMAT}.joblib"
    load_or_train(path)
    return path


def test_settings(slack: FakeSlack, **overrides: Any) -> Settings:
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack.base_url,
        ingest_token=INGEST_TOKEN,
        model_path=trained_model_path(),
        classify_workers=2,
        slack_min_interval=0.0,
    )
    return replace(settings, **overrides)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{stamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class Card:
    """One chat.postMessage that FakeSlack received, with the mention it is about."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    raw: str  # the whole request body as JSON text, for "nothing anywhere" assertions
    mention_id: int | None
    thread_ts: str = ""

    @property
    def section_texts(self) -> list[str]:
        return [b["text"]["text"] for b in self.blocks if b.get("type") == "section" and b.get("text")]

    @property
    def header(self) -> str:
        return next((b["text"]["text"] for b in self.blocks if b.get("type") == "header"), "")


def _card(body: dict[str, Any]) -> Card:
    blocks = body.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    found = _MENTION_ID.search(json.dumps(blocks, ensure_ascii=False))
    return Card(
        channel=str(body.get("channel", "")),
        text=str(body.get("text", "")),
        blocks=blocks,
        raw=json.dumps(body, ensure_ascii=False),
        mention_id=int(found.group(1)) if found else None,
        thread_ts=str(body.get("thread_ts") or ""),
    )


@dataclass
class Pipeline:
    """A running app: HTTP at `root`, workers on demand, FakeSlack at `slack`."""

    services: Services
    slack: FakeSlack
    root: str
    _classifier: ClassificationWorker = field(init=False)
    _delivery: DeliveryWorker = field(init=False)

    def __post_init__(self) -> None:
        self._classifier = ClassificationWorker(self.services, threads=2)
        assert self.services.slack is not None
        self._delivery = DeliveryWorker(
            self.services.engine, SlackSender(self.services.slack), min_interval=0
        )

    # ---- HTTP --------------------------------------------------------------------------------------
    def request(
        self, path: str, body: bytes = b"", headers: dict[str, str] | None = None, method: str = "POST"
    ) -> tuple[int, str]:
        request = urllib.request.Request(
            self.root + path, data=body if method == "POST" else None, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def signed(self, body: bytes, **headers: str) -> tuple[int, str]:
        """POST a JSON body to /slack/events with a valid signature plus any extra headers."""
        all_headers = {"Content-Type": "application/json", **sign(body), **headers}
        return self.request("/slack/events", body, all_headers)

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> tuple[int, str]:
        return self.signed(event_body(event, event_id=event_id))

    def ingest(self, data: Any, *, token: str | None = INGEST_TOKEN) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        status, text = self.request("/ingest", raw, headers)
        return status, json.loads(text)

    # ---- workers -----------------------------------------------------------------------------------
    def drain(self, timeout: float = 30.0) -> None:
        """Run the workers until every mention is classified and the outbox is empty (or fail)."""
        deadline = time.monotonic() + timeout
        while True:
            taken = self._classifier.run_once()
            sent = self._delivery.run_once()
            if not taken and not self.pending_mentions() and not pending_count(self.services.engine):
                return
            if time.monotonic() > deadline:
                raise AssertionError("pipeline did not drain in time")
            if not taken and not sent:
                time.sleep(0.02)  # e.g. a 429's Retry-After is running out

    def classify_only(self) -> None:
        while self._classifier.run_once():
            pass

    @contextmanager
    def threaded_workers(self) -> Iterator[Runtime]:
        """The background threads `python -m bot serve` starts (min_interval from settings)."""
        assert self.services.slack is not None
        runtime = Runtime()
        start_pipeline_workers(self.services, SlackSender(self.services.slack), runtime)
        try:
            yield runtime
        finally:
            runtime.shutdown()

    def close(self) -> None:
        self._classifier.close()

    # ---- what happened -----------------------------------------------------------------------------
    def cards(self, channel: str | None = None) -> list[Card]:
        return [_card(body) for body in self.slack.posted(channel)]

    def pending_mentions(self) -> int:
        with Session(self.services.engine) as session:
            return len(session.exec(select(Mention.id).where(Mention.status == "pending")).all())

    def mentions(self) -> list[Mention]:
        with Session(self.services.engine) as session:
            return list(session.exec(select(Mention).order_by(col(Mention.id))).all())

    def classifications(self) -> dict[int, Classification]:
        with Session(self.services.engine) as session:
            return {row.mention_id: row for row in session.exec(select(Classification)).all()}

    def assert_cards_match_routes(self) -> None:
        """Every mention is routed; each one whose route has a channel got exactly one card, there."""
        rows = self.classifications()
        cards = [c for c in self.cards() if not c.thread_ts]
        per_mention = Counter(c.mention_id for c in cards)
        assert None not in per_mention, "a card without its mention id"
        for mention in self.mentions():
            assert mention.status == "routed", mention
            assert mention.id is not None
            route = decide_route(result_from_row(rows[mention.id]), self.services.rules)
            wanted = 1 if route.channel and mention.duplicate_of is None else 0
            assert per_mention[mention.id] == wanted, (mention.text, route)
            if wanted:
                card = next(c for c in cards if c.mention_id == mention.id)
                assert card.channel == self.services.channel_id(str(route.channel))
        assert sum(per_mention.values()) == len(cards)

    def deliveries(self) -> list[Delivery]:
        with Session(self.services.engine) as session:
            return list(session.exec(select(Delivery).order_by(col(Delivery.id))).all())


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> bytes:
    body = {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": event_id or f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
        "event": event,
    }
    return json.dumps(body).encode()


def message(text: str, ts: str, *, channel: str = "C0SOCIAL", **extra: Any) -> dict[str, Any]:
    """A Slack `message` event as the Events API delivers it."""
    return {"type": "message", "channel": channel, "user": "U0ALICE", "text": text, "ts": ts, **extra}


@contextmanager
def pipeline(
    engine: Engine,
    rules: RoutingRules,
    *,
    cascade: Cascade | None = None,
    slack: FakeSlack | None = None,
    **settings: Any,
) -> Iterator[Pipeline]:
    """Serve the whole app (create_app + WebApp + waitress on port 0) wired to a fake workspace."""
    own = slack is None
    fake = slack or FakeSlack().start()
    try:
        config = test_settings(fake, **settings)
        services = connect_slack(  # who the bot is, as at start-up
            config,
            rules,
            engine,
            cascade or build_cascade(config, rules, engine, use_llm=False),
            WebClient(token="xoxb-test", base_url=fake.base_url),
        )
        server = make_server(WebApp(services, create_app(services)), host="127.0.0.1", port=0)
        with serving(server) as root:
            running = Pipeline(services, fake, root)
            try:
                yield running
            finally:
                running.close()
    finally:
        if own:
            fake.stop()
