"""Taking mentions in: from Slack events and from /ingest or replay records, stored before anything else."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.domain.errors import InvalidMention
from bot.domain.safe_json import loads_bounded
from bot.intake.incoming import from_record, from_slack_event, skip_reason
from bot.store.engine import Engine
from bot.store.mentions import StoreOutcome, store_mention

log = logging.getLogger(__name__)
MAX_BATCH = 500


@dataclass(frozen=True)
class IntakeTarget:
    """Where intake stores mentions, whom it wakes when one is new, and which messages are the bot's own."""

    engine: Engine
    wake: Callable[[], None]
    bot_user_id: str = ""
    bot_id: str = ""


def take_slack_event(
    target: IntakeTarget, event: dict[str, Any], *, event_id: str | None, origin: str
) -> StoreOutcome | None:
    """Store a Slack message or app_mention as a mention; None when the event creates no card."""
    reason = skip_reason(event, target.bot_user_id, target.bot_id)
    if reason is not None:
        log.debug("event %s skipped: %s", event_id, reason)
        return None
    try:
        incoming = from_slack_event(event, origin)
    except InvalidMention as exc:
        log.info("event %s ignored: %s", event_id, exc)
        return None
    outcome = store_mention(target.engine, incoming, event_id=event_id)
    if not outcome.duplicate:
        target.wake()
    return outcome


@dataclass
class IngestResult:
    """What POST /ingest answers: HTTP status and JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def ingest_body(target: IntakeTarget, raw: bytes) -> IngestResult:
    """Validate and store one JSON mention or a list; nothing is stored from an invalid batch."""
    try:
        data = loads_bounded(raw.decode("utf-8"))
    except ValueError as exc:  # also bad UTF-8, deep nesting, NaN/Infinity and 5000-digit numbers
        return IngestResult(400, {"error": f"malformed JSON: {exc}"})
    records = data if isinstance(data, list) else [data]
    if not records or len(records) > MAX_BATCH:
        return IngestResult(400, {"error": f"send between 1 and {MAX_BATCH} mentions per request"})
    try:
        mentions = [from_record(record, origin="ingest") for record in records]
    except InvalidMention as exc:
        return IngestResult(400, {"error": str(exc)})
    outcomes = [store_mention(target.engine, mention) for mention in mentions]
    stored = [o.mention_id for o in outcomes if not o.duplicate]
    if stored:
        target.wake()
    if not stored:
        return IngestResult(200, {"duplicate": True, "stored": 0})
    return IngestResult(
        202, {"stored": len(stored), "duplicates": len(outcomes) - len(stored), "ids": stored}
    )
