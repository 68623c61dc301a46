"""What a later copy of an already-seen text inherits: people and rules first, the cached answer last.

Identical normalised texts (retweets, cross-posts) are classified once, but the earlier answer is only
reused when nothing more authoritative applies to the new copy. In order:

1. a human correction of any earlier copy: the copy follows the text's current department
   (classifier `correction`), so a text a person moved to HR never comes back as `sales`;
2. a `rules:` entry matching this copy with its own source and author: the cascade decides afresh;
3. otherwise the latest answer for the same text (classifier `cache`).

A copy is threaded under an earlier card only when that card is in the channel this copy is routed
to and its mention still belongs to the same department; otherwise the copy gets its own card. So a
copy never lands, even as a snippet, in a channel its department does not own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.classify.overrides import first_match
from bot.domain.result import Result
from bot.domain.rules import RoutingRules
from bot.store import threads
from bot.store.corrections import corrections_by_text
from bot.store.engine import Session
from bot.store.mentions import latest_by_text, latest_classification
from bot.store.models import Classification, Delivery, Mention

DUPLICATE_WINDOW = timedelta(hours=24)  # copies within this window go to the first card's thread


@dataclass(frozen=True)
class Seen:
    """What earlier copies of a batch's texts say, read in one query each per batch (not per mention).

    `corrections`: per text hash, (correction id, mention id, to department), newest first;
    `cached`: per text hash, the latest classification of a mention outside the batch. Mentions in a
    batch are pending, and a pending mention has no classification (it is written in the same
    transaction that routes it), so leaving the batch out equals leaving out the mention itself.
    """

    corrections: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    cached: dict[str, Classification] = field(default_factory=dict)


def corrections_of(session: Session, hashes: Iterable[str]) -> dict[str, list[tuple[int, int, str]]]:
    """Every human correction of a mention with one of these texts, newest first (see Seen)."""
    return corrections_by_text(session, hashes)


def seen_before(session: Session, mentions: Sequence[Mention]) -> Seen:
    """Corrections and cached answers for a batch of pending mentions (see Seen)."""
    hashes = sorted({m.text_hash for m in mentions})
    if not hashes:
        return Seen()
    cached = latest_by_text(session, hashes, excluding=[m.id for m in mentions])
    return Seen(corrections_of(session, hashes), cached)


def settled_result(session: Session, rules: RoutingRules, mention: Mention, seen: Seen) -> Result | None:
    """The answer a copy inherits without classifying, or None when the cascade must decide."""
    corrected = correction_result(session, mention, seen.corrections)
    if corrected is not None:
        return corrected
    if rule_index(rules, mention) is not None:
        return None
    row = seen.cached.get(mention.text_hash)
    if row is None:
        return None
    return result_from_row(row).as_("cache", reason=f"same text as mention {row.mention_id}")


def rule_index(rules: RoutingRules, mention: Mention) -> int | None:
    """The index of the first `rules:` entry matching this mention (its own source and author)."""
    rule = first_match(rules.rules, mention.text, mention.source, mention.author)
    return None if rule is None else rules.rules.index(rule)


def correction_result(
    session: Session, mention: Mention, corrections: dict[str, list[tuple[int, int, str]]]
) -> Result | None:
    """The latest human correction of another mention with the same text, as this copy's answer;
    `corrections` comes from `corrections_of` for the batch."""
    found = next((c for c in corrections.get(mention.text_hash, ()) if c[1] != mention.id), None)
    if found is None:
        return None
    _, corrected_id, to_department = found
    base = latest_classification(session, corrected_id)
    reason = f"same text as mention {corrected_id}, which a person moved to {to_department}"
    if base is None:
        return Result(to_department, 1.0, classifier="correction", reason=reason)
    return replace(
        result_from_row(base),
        department=to_department,
        confidence=1.0,
        classifier="correction",
        model="",
        reason=reason,
    )


def carded_texts(session: Session, hashes: Iterable[str], since: datetime) -> set[str]:
    """Which of these texts have a card of a mention received since `since`, in any channel: a cheap
    superset, so `thread_parent` is asked only for them (most texts are new)."""
    return threads.carded_texts(session, hashes, since)


def thread_parent(session: Session, mention: Mention, channel_id: str) -> Delivery | None:
    """The earliest card of a recent copy that is in `channel_id` and whose mention is still in the
    department this copy was routed to (mention.department); None: the copy gets its own card."""
    return threads.first_text_card(session, mention, channel_id, mention.received_at - DUPLICATE_WINDOW)


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
