"""The mention pipeline: store durably first, then classify, route and enqueue the card."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial

from sqlmodel import Session, col, select

from bot.context import Services
from bot.domain import metrics
from bot.domain.result import Result
from bot.domain.routing import Route, decide_route, ping_markup
from bot.domain.rules import RoutingRules
from bot.pipeline.batching import classify_mentions
from bot.pipeline.copies import (
    DUPLICATE_WINDOW,
    correction_result,
    result_from_row,
    rule_index,
    settled_result,
    thread_parent,
)
from bot.pipeline.links import first_link_card
from bot.slack.cards import CardView, render_card, render_duplicate_reply
from bot.slack.people import People
from bot.store import rollups
from bot.store.commit_hooks import on_commit
from bot.store.engine import session_scope
from bot.store.models import Classification, Mention
from bot.store.outbox import enqueue

log = logging.getLogger(__name__)
__all__ = ["DUPLICATE_WINDOW", "card_view", "load_card_view", "process_batch", "process_mention"]
__all__ += ["result_from_row"]
Mapper = Callable[[Callable[[Mention], Result | Exception], Iterable[Mention]], Iterator[Result | Exception]]


def process_mention(services: Services, mention_id: int) -> Route | None:
    """Classify one stored mention, record the result, and enqueue what Slack should receive."""
    return process_batch(services, [mention_id]).get(mention_id)


def process_batch(
    services: Services, mention_ids: Sequence[int], *, mapper: Mapper = map
) -> dict[int, Route | None]:
    """Classify and record a batch: one read, the classifications (outside any transaction, since an LLM
    call may take seconds; `mapper` may run them in parallel), then one write for the whole batch.

    Identical normalised texts are classified once, whether stored earlier or within this batch, unless
    a correction or a rule says otherwise (bot.pipeline.copies). A classification that raises leaves
    its mention pending; the claim expires and it is retried later.
    """
    mentions, results = _load_pending(services, mention_ids)
    rules = services.rules
    # copies matched by different rules (their own source/author) are different questions
    keys = {_id(m): (m.text_hash, rule_index(rules, m)) for m in mentions}
    firsts: dict[tuple[str, int | None], Mention] = {}
    for mention in mentions:
        if mention.id not in results:
            firsts.setdefault(keys[_id(mention)], mention)
    classify_one = partial(_classify_safely, services)
    answers = dict(
        zip(firsts, classify_mentions(services, list(firsts.values()), mapper, classify_one), strict=True)
    )
    for mention in mentions:
        first, answer = firsts.get(keys[_id(mention)]), answers.get(keys[_id(mention)])
        if mention.id in results or first is None or not isinstance(answer, Result):
            continue
        same = first is mention or keys[_id(mention)][1] is not None  # a rule decided it, not a cache
        results[_id(mention)] = (
            answer if same else answer.as_("cache", reason=f"same text as mention {first.id}")
        )
    _learn_slack_authors(services, [m for m in mentions if _id(m) in results])
    with session_scope(services.engine) as session:
        return {
            mention_id: _record(session, services, mention_id, result)
            for mention_id, result in results.items()
        }


def _learn_slack_authors(services: Services, mentions: Sequence[Mention]) -> None:
    """Look up Slack authors' display names before the write transaction (a network call inside it
    would hold the database); the cards then read them from the cache. Links are built, not fetched."""
    if services.people is None:
        return
    for mention in mentions:
        if mention.slack_channel and mention.slack_ts:
            services.people.display_name(mention.author)


def _load_pending(services: Services, mention_ids: Sequence[int]) -> tuple[list[Mention], dict[int, Result]]:
    rules = services.rules
    with session_scope(services.engine) as session:
        query = select(Mention).where(col(Mention.id).in_(list(mention_ids)), Mention.status == "pending")
        mentions = list(session.exec(query.order_by(col(Mention.id))).all())
        settled = {_id(m): r for m in mentions if (r := settled_result(session, rules, m)) is not None}
    return mentions, settled


def _classify_safely(services: Services, mention: Mention) -> Result | Exception:
    try:
        return services.cascade.classify(mention.text, source=mention.source, author=mention.author)
    except Exception as exc:  # one bad mention must not sink its batch
        log.exception("classifying mention %s failed; it stays pending and is retried", mention.id)
        return exc


def _id(mention: Mention) -> int:
    assert mention.id is not None
    return mention.id


def _record(session: Session, services: Services, mention_id: int, result: Result) -> Route | None:
    mention = session.get(Mention, mention_id)
    if mention is None or mention.status != "pending":  # another worker finished it meanwhile
        return None
    corrected = correction_result(session, mention)  # a person may have corrected a copy meanwhile
    if corrected is not None and result.classifier != "correction":
        result = corrected
    row = _classification_row(mention_id, result)
    session.add(row)
    session.flush()
    route = decide_route(result, services.rules)
    mention.status, mention.department, mention.claimed_until = "routed", result.department, None
    mention.classification_id = row.id
    on_commit(session, partial(metrics.mention_classified, result.department, result.classifier))
    if route.channel is not None:
        _enqueue_card(session, services, mention, result, route)
    rollups.count_classified(session, mention, row)  # after _enqueue_card: it marks copies
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
    view = card_view(mention, result, route, people=services.people)
    channel = services.channel_id(route.channel)
    # a copy of a recent mention (same text, or the same outside link), same channel: group it in that thread
    first_card = thread_parent(session, mention, channel) or first_link_card(
        session, mention, mention.received_at - DUPLICATE_WINDOW, channel
    )
    if first_card is not None:
        mention.duplicate_of = first_card.mention_id
        payload = render_duplicate_reply(view)
        key, kind, parent = f"thread:{mention.id}", "thread", first_card.id
    else:
        payload = render_card(view)
        key, kind, parent = f"card:{mention.id}", "card", None
    enqueue(
        session,
        dedupe_key=key,
        kind=kind,
        channel=channel,
        payload=payload,
        mention_id=mention.id,
        parent_id=parent,
        fallback_channel=fallback_channel(services, result.department, channel),
    )


def fallback_channel(services: Services, department: str, channel: str) -> str:
    """Where a card goes if `channel` does not exist or is archived: triage, with a note — except for a
    restricted department, whose text must never land in a shared channel ('' = fail and log)."""
    triage = services.channel_id(services.rules.triage_channel)
    return "" if services.rules.is_restricted(department) or triage == channel else triage


def card_view(mention: Mention, result: Result, route: Route, *, people: People | None = None) -> CardView:
    """What the card shows; a Slack-native mention gets its author's name and a link to the message
    from `people`'s cache (filled by `_learn_slack_authors`; no Slack call happens here)."""
    assert mention.id is not None
    author, url = mention.author, mention.url
    if people is not None and mention.slack_channel and mention.slack_ts and not url:
        author = people.display_name(author, fetch=False)
        url = people.permalink(mention.slack_channel, mention.slack_ts)
    return CardView(
        mention_id=mention.id,
        text=mention.text,
        author=author,
        source=mention.source,
        source_name=mention.source_name or "",
        url=url,
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
        version=mention.version,
    )


def load_card_view(
    session: Session, mention_id: int, rules: RoutingRules, people: People | None = None
) -> CardView | None:
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
    return card_view(mention, result, decide_route(result, rules), people=people)
