"""Taking mentions in: from Slack events and from /ingest or replay records, stored before anything else."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.errors import InvalidMention
from bot.incoming import from_record, from_slack_event, skip_reason
from bot.pipeline import StoreOutcome, store_mention
from bot.safe_json import loads_bounded
from bot.services import Services

log = logging.getLogger(__name__)
MAX_BATCH = 500


def take_slack_event(
    services: Services, event: dict[str, Any], *, event_id: str | None, origin: str
) -> StoreOutcome | None:
    """Store a Slack message or app_mention as a mention; None when the event creates no card."""
    reason = skip_reason(event, services.bot_user_id, services.bot_id)
    if reason is not None:
        log.debug("event %s skipped: %s", event_id, reason)
        return None
    try:
        incoming = from_slack_event(event, origin)
    except InvalidMention as exc:
        log.info("event %s ignored: %s", event_id, exc)
        return None
    outcome = store_mention(services.engine, incoming, event_id=event_id)
    if not outcome.duplicate:
        services.work_ready.set()
    return outcome


@dataclass
class IngestResult:
    """What POST /ingest answers: HTTP status and JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def ingest_body(services: Services, raw: bytes) -> IngestResult:
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
    outcomes = [store_mention(services.engine, mention) for mention in mentions]
    stored = [o.mention_id for o in outcomes if not o.duplicate]
    if stored:
        services.work_ready.set()
    if not stored:
        return IngestResult(200, {"duplicate": True, "stored": 0})
    return IngestResult(
        202, {"stored": len(stored), "duplicates": len(outcomes) - len(stored), "ids": stored}
    )
