"""The mention pipeline: store durably first, then classify, route and enqueue the card."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial

from bot.context import Services
from bot.domain.result import Result
from bot.domain.routing import Route
from bot.pipeline.batching import classify_mentions
from bot.pipeline.copies import rule_index, seen_before, settled_result
from bot.pipeline.record import record_batch
from bot.store.engine import session_scope
from bot.store.mentions import pending_mentions
from bot.store.models import Mention

log = logging.getLogger(__name__)
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
        return record_batch(session, services, results)


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
        mentions = pending_mentions(session, mention_ids)
        seen = seen_before(session, mentions)
        settled = {_id(m): r for m in mentions if (r := settled_result(session, rules, m, seen)) is not None}
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
