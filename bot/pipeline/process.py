"""The mention pipeline: store durably first, then classify, route and enqueue the card."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from functools import partial

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.context import Services
from bot.domain.result import Result
from bot.domain.routing import Route, decide_route, ping_markup
from bot.domain.rules import RoutingRules
from bot.pipeline.batching import classify_mentions
from bot.slack.cards import CardView, render_card, render_duplicate_reply
from bot.store.engine import session_scope
from bot.store.models import Classification, Delivery, Mention
from bot.store.outbox import enqueue

log = logging.getLogger(__name__)
DUPLICATE_WINDOW = timedelta(hours=24)  # copies within this window go to the first card's thread
Mapper = Callable[[Callable[[Mention], Result | Exception], Iterable[Mention]], Iterator[Result | Exception]]


def process_mention(services: Services, mention_id: int) -> Route | None:
    """Classify one stored mention, record the result, and enqueue what Slack should receive."""
    return process_batch(services, [mention_id]).get(mention_id)


def process_batch(
    services: Services, mention_ids: Sequence[int], *, mapper: Mapper = map
) -> dict[int, Route | None]:
    """Classify and record a batch: one read, the classifications (outside any transaction, since an LLM
    call may take seconds; `mapper` may run them in parallel), then one write for the whole batch.

    Identical normalised texts are classified once, whether stored earlier or within this batch. A
    classification that raises leaves its mention pending; the claim expires and it is retried later.
    """
    mentions, results = _load_pending(services.engine, mention_ids)
    firsts: dict[str, Mention] = {}
    for mention in mentions:
        if mention.id not in results:
            firsts.setdefault(mention.text_hash, mention)
    classify_one = partial(_classify_safely, services)
    answers = dict(
        zip(firsts, classify_mentions(services, list(firsts.values()), mapper, classify_one), strict=True)
    )
    for mention in mentions:
        first, answer = firsts.get(mention.text_hash), answers.get(mention.text_hash)
        if mention.id in results or first is None or not isinstance(answer, Result):
            continue
        same = first is mention
        results[_id(mention)] = (
            answer if same else answer.as_("cache", reason=f"same text as mention {first.id}")
        )
    with session_scope(services.engine) as session:
        return {
            mention_id: _record(session, services, mention_id, result)
            for mention_id, result in results.items()
        }


def _load_pending(engine: Engine, mention_ids: Sequence[int]) -> tuple[list[Mention], dict[int, Result]]:
    with session_scope(engine) as session:
        query = select(Mention).where(col(Mention.id).in_(list(mention_ids)), Mention.status == "pending")
        mentions = list(session.exec(query.order_by(col(Mention.id))).all())
        cached = {_id(m): r for m in mentions if (r := _cached_result(session, m)) is not None}
    return mentions, cached


def _classify_safely(services: Services, mention: Mention) -> Result | Exception:
    try:
        return services.cascade.classify(mention.text, source=mention.source, author=mention.author)
    except Exception as exc:  # one bad mention must not sink its batch
        log.exception("classifying mention %s failed; it stays pending and is retried", mention.id)
        return exc


def _id(mention: Mention) -> int:
    assert mention.id is not None
    return mention.id


def _cached_result(session: Session, mention: Mention) -> Result | None:
    """Identical normalised texts are classified once: reuse the latest answer for the same text."""
    row = session.exec(
        select(Classification)
        .join(Mention, col(Mention.id) == col(Classification.mention_id))
        .where(Mention.text_hash == mention.text_hash, Mention.id != mention.id)
        .order_by(col(Classification.id).desc())
        .limit(1)
    ).first()
    return (
        None
        if row is None
        else result_from_row(row).as_("cache", reason=f"same text as mention {row.mention_id}")
    )


def result_from_row(row: Classification) -> Result:
    return Result(
        department=row.department,
        confidence=row.confidence,
        sentiment=row.sentiment,
        urgency=row.urgency,
        language=row.language,
        summary=row.summary,
        topics=tuple(t for t in row.topics.split(",") if t),
        classifier=row.classifier,
        model=row.model,
        reason=row.reason,
    )


def _record(session: Session, services: Services, mention_id: int, result: Result) -> Route | None:
    mention = session.get(Mention, mention_id)
    if mention is None or mention.status != "pending":  # another worker finished it meanwhile
        return None
    row = _classification_row(mention_id, result)
    session.add(row)
    session.flush()
    route = decide_route(result, services.rules)
    mention.status, mention.department, mention.claimed_until = "routed", result.department, None
    mention.classification_id = row.id
    if route.channel is not None:
        _enqueue_card(session, services, mention, result, route)
    services.delivery_ready.set()
    return route


def _classification_row(mention_id: int, result: Result) -> Classification:
    return Classification(
        mention_id=mention_id,
        department=result.department,
        confidence=round(result.confidence, 4),
        sentiment=result.sentiment,
        urgency=result.urgency,
        language=result.language[:10],
        summary=result.summary[:500],
        topics=",".join(result.topics)[:300],
        classifier=result.classifier,
        model=result.model[:100],
        reason=result.reason[:500],
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        latency_ms=result.latency_ms,
    )


def _enqueue_card(
    session: Session, services: Services, mention: Mention, result: Result, route: Route
) -> None:
    assert route.channel is not None and mention.id is not None
    view = card_view(mention, result, route)
    first_card = _first_copy_card(session, mention)
    if first_card is not None:  # a copy of a recent mention: group it in the first card's thread
        mention.duplicate_of = first_card.mention_id
        payload = render_duplicate_reply(view)
        key, kind, channel, parent = f"thread:{mention.id}", "thread", first_card.channel, first_card.id
    else:
        payload = render_card(view)
        key, kind, channel, parent = f"card:{mention.id}", "card", services.channel_id(route.channel), None
    enqueue(
        session,
        dedupe_key=key,
        kind=kind,
        channel=channel,
        payload=payload,
        mention_id=mention.id,
        parent_id=parent,
    )


def _first_copy_card(session: Session, mention: Mention) -> Delivery | None:
    since = mention.received_at - DUPLICATE_WINDOW
    return session.exec(
        select(Delivery)
        .join(Mention, col(Mention.id) == col(Delivery.mention_id))
        .where(Mention.text_hash == mention.text_hash, Mention.id != mention.id, Delivery.kind == "card")
        .where(col(Mention.received_at) >= since)
        .order_by(col(Delivery.id))
        .limit(1)
    ).first()


def card_view(mention: Mention, result: Result, route: Route) -> CardView:
    assert mention.id is not None
    return CardView(
        mention_id=mention.id,
        text=mention.text,
        author=mention.author,
        source=mention.source,
        url=mention.url,
        created_at=mention.created_at,
        department=result.department,
        confidence=result.confidence,
        sentiment=result.sentiment,
        urgency=result.urgency,
        language=result.language,
        summary=result.summary,
        topics=result.topics,
        classifier=result.classifier,
        triage=route.triage,
        reason=route.reason if route.triage else result.reason,
        state=mention.state,
        ping=ping_markup(route.ping),
    )


def load_card_view(session: Session, mention_id: int, rules: RoutingRules) -> CardView | None:
    """Rebuild a mention's card from the database (for updates after a button click)."""
    mention = session.get(Mention, mention_id)
    row = session.exec(
        select(Classification)
        .where(Classification.mention_id == mention_id)
        .order_by(col(Classification.id).desc())
    ).first()
    if mention is None or row is None:
        return None
    result = result_from_row(row)
    return card_view(mention, result, decide_route(result, rules))
