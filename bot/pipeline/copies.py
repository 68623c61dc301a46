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

from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session, col, select

from bot.classify.overrides import first_match
from bot.domain.result import Result
from bot.domain.rules import RoutingRules
from bot.store.models import Classification, Correction, Delivery, Mention

DUPLICATE_WINDOW = timedelta(hours=24)  # copies within this window go to the first card's thread


def settled_result(session: Session, rules: RoutingRules, mention: Mention) -> Result | None:
    """The answer a copy inherits without classifying, or None when the cascade must decide."""
    corrected = correction_result(session, mention)
    if corrected is not None:
        return corrected
    if rule_index(rules, mention) is not None:
        return None
    return cached_result(session, mention)


def rule_index(rules: RoutingRules, mention: Mention) -> int | None:
    """The index of the first `rules:` entry matching this mention (its own source and author)."""
    rule = first_match(rules.rules, mention.text, mention.source, mention.author)
    return None if rule is None else rules.rules.index(rule)


def correction_result(session: Session, mention: Mention) -> Result | None:
    """The latest human correction of another mention with the same text, as this copy's answer."""
    found = session.exec(
        select(Correction)
        .join(Mention, col(Mention.id) == col(Correction.mention_id))
        .where(Mention.text_hash == mention.text_hash, Mention.id != mention.id)
        .order_by(col(Correction.id).desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    base = _latest_classification(session, found.mention_id)
    reason = f"same text as mention {found.mention_id}, which a person moved to {found.to_department}"
    if base is None:
        return Result(found.to_department, 1.0, classifier="correction", reason=reason)
    return replace(
        result_from_row(base),
        department=found.to_department,
        confidence=1.0,
        classifier="correction",
        model="",
        reason=reason,
    )


def cached_result(session: Session, mention: Mention) -> Result | None:
    """Identical normalised texts are classified once: reuse the latest answer for the same text."""
    row = session.exec(
        select(Classification)
        .join(Mention, col(Mention.id) == col(Classification.mention_id))
        .where(Mention.text_hash == mention.text_hash, Mention.id != mention.id)
        .order_by(col(Classification.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return result_from_row(row).as_("cache", reason=f"same text as mention {row.mention_id}")


def thread_parent(session: Session, mention: Mention, channel_id: str) -> Delivery | None:
    """The earliest card of a recent copy that is in `channel_id` and whose mention is still in the
    department this copy was routed to (mention.department); None: the copy gets its own card."""
    since = mention.received_at - DUPLICATE_WINDOW
    return session.exec(
        select(Delivery)
        .join(Mention, col(Mention.id) == col(Delivery.mention_id))
        .where(Mention.text_hash == mention.text_hash, Mention.id != mention.id, Delivery.kind == "card")
        .where(Delivery.channel == channel_id, Mention.department == mention.department)
        .where(col(Mention.received_at) >= since)
        .order_by(col(Delivery.id))
        .limit(1)
    ).first()


def _latest_classification(session: Session, mention_id: int) -> Classification | None:
    return session.exec(
        select(Classification)
        .where(Classification.mention_id == mention_id)
        .order_by(col(Classification.id).desc())
        .limit(1)
    ).first()


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
