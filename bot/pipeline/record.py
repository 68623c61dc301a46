"""Recording a classified batch: one transaction writes its classifications, routes, cards and rollups.

What every mention of the batch needs from the database is read once for the batch: the mentions,
the human corrections of their texts, and which texts and links already have a recent card. The
classification rows go in with one INSERT, the rollups with one upsert per bucket. The per-mention
work left is deciding the route and enqueueing the card. The transaction holds SQLite's only
connection, so every statement saved here is time intake requests do not wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from bot.context import Services
from bot.domain import metrics
from bot.domain.clock import utcnow
from bot.domain.result import Result
from bot.domain.routing import Route, decide_route
from bot.pipeline.copies import (
    DUPLICATE_WINDOW,
    carded_texts,
    correction_result,
    corrections_of,
    thread_parent,
)
from bot.pipeline.links import carded_links, first_link_card
from bot.pipeline.views import card_view, fallback_channel
from bot.slack.cards import render_card, render_duplicate_reply
from bot.store import rollup_writes
from bot.store.commit_hooks import on_commit
from bot.store.engine import Session
from bot.store.mentions import insert_classifications, pending_mentions
from bot.store.models import Mention
from bot.store.outbox import enqueue_id


@dataclass
class _Carded:
    """Texts and links that may have a recent card to thread under (a superset: the exact query decides)."""

    texts: set[str]
    links: set[str]


@dataclass(frozen=True)
class _Row:
    """A classification row as inserted (what the route and the rollups read back)."""

    id: int
    mention_id: int
    sentiment: str
    urgency: str
    topics: str


def record_batch(session: Session, services: Services, results: dict[int, Result]) -> dict[int, Route | None]:
    """Record each mention's result, in mention id order; None for a mention another worker finished."""
    mentions = {m.id: m for m in pending_mentions(session, list(results))}
    # a person may have corrected a copy while this batch was being classified
    corrections = corrections_of(session, (m.text_hash for m in mentions.values()))
    recorded: list[tuple[Mention, Result]] = []
    for mention_id, result in sorted(results.items()):
        mention = mentions.get(mention_id)
        if mention is None:
            continue
        corrected = correction_result(session, mention, corrections)
        if corrected is not None and result.classifier != "correction":
            result = corrected
        recorded.append((mention, result))
    rows = _insert_classifications(session, recorded)
    carded = _carded(session, [m for m, _ in recorded])
    tally = rollup_writes.Tally()
    routes: dict[int, Route | None] = dict.fromkeys(results)
    for (mention, result), row in zip(recorded, rows, strict=True):
        routes[row.mention_id] = _route(session, services, mention, row, result, carded)
        tally.add(mention, mention.department, row)  # after the card: it marks copies
    tally.write(session.connection())
    if recorded:
        services.delivery_ready.set()
    return routes


def _insert_classifications(session: Session, recorded: list[tuple[Mention, Result]]) -> list[_Row]:
    """One INSERT … RETURNING id for the whole batch, ids in the order of `recorded`."""
    if not recorded:
        return []
    values = [_classification_values(mention, result) for mention, result in recorded]
    ids = insert_classifications(session.connection(), values)
    return [
        _Row(int(new_id), v["mention_id"], v["sentiment"], v["urgency"], v["topics"])
        for new_id, v in zip(ids, values, strict=True)
    ]


def _carded(session: Session, mentions: Sequence[Mention]) -> _Carded:
    if not mentions:
        return _Carded(set(), set())
    since = min(m.received_at for m in mentions) - DUPLICATE_WINDOW
    return _Carded(
        carded_texts(session, (m.text_hash for m in mentions), since),
        carded_links(session, (m.link_hash for m in mentions), since),
    )


def _route(
    session: Session, services: Services, mention: Mention, row: _Row, result: Result, carded: _Carded
) -> Route:
    route = decide_route(result, services.rules)
    mention.status, mention.department, mention.claimed_until = "routed", result.department, None
    mention.classification_id = row.id
    on_commit(session, partial(metrics.mention_classified, result.department, result.classifier))
    if route.channel is not None:
        _enqueue_card(session, services, mention, result, route, carded)
    return route


def _classification_values(mention: Mention, result: Result) -> dict[str, Any]:
    return {
        "mention_id": mention.id,
        "department": result.department,
        "confidence": round(result.confidence, 4),
        "sentiment": result.sentiment,
        "urgency": result.urgency,
        "language": result.language[:10],
        "summary": result.summary[:500],
        "topics": ",".join(result.topics)[:300],
        "classifier": result.classifier,
        "model": result.model[:100],
        "reason": result.reason[:500],
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "latency_ms": result.latency_ms,
        "created_at": utcnow(),
    }


def _enqueue_card(
    session: Session, services: Services, mention: Mention, result: Result, route: Route, carded: _Carded
) -> None:
    assert route.channel is not None and mention.id is not None
    view = card_view(mention, result, route, people=services.people)
    channel = services.channel_id(route.channel)
    # a copy of a recent mention (same text, or the same outside link), same channel: group it in that thread
    first_card = None
    if mention.text_hash in carded.texts:
        first_card = thread_parent(session, mention, channel)
    if first_card is None and mention.link_hash in carded.links:
        first_card = first_link_card(session, mention, mention.received_at - DUPLICATE_WINDOW, channel)
    if first_card is not None:
        mention.duplicate_of = first_card.mention_id
        payload = render_duplicate_reply(view)
        key, kind, parent = f"thread:{mention.id}", "thread", first_card.id
    else:
        payload = render_card(view)
        key, kind, parent = f"card:{mention.id}", "card", None
    new_id = enqueue_id(
        session,
        dedupe_key=key,
        kind=kind,
        channel=channel,
        payload=payload,
        mention_id=mention.id,
        parent_id=parent,
        fallback_channel=fallback_channel(services, result.department, channel),
    )
    if new_id is not None and kind == "card":  # later copies in this batch may thread under it
        carded.texts.add(mention.text_hash)
        if mention.link_hash:
            carded.links.add(mention.link_hash)
