"""Card threads as stored: which texts and links already have a recent card, and which card to reply under.

The pipeline decides what counts as a copy (bot.pipeline.copies, bot.pipeline.links): how far back a
copy may reach, and that only a card in the channel it is routed to may take it. These queries answer
those questions inside the caller's transaction. The `carded_*` reads are cheap supersets taken once
per batch, so the exact `first_card_*` lookups run only for the few texts and links that can match.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.store.models import Delivery, Mention


def carded_texts(session: Session, hashes: Iterable[str], since: datetime) -> set[str]:
    """Which of these texts have a card of a mention received since `since`, in any channel."""
    return _carded(session, Mention.text_hash, hashes, since)


def carded_links(session: Session, hashes: Iterable[str], since: datetime) -> set[str]:
    """Which of these links have a card of a mention received since `since`, in any channel."""
    return _carded(session, Mention.link_hash, hashes, since)


def _carded(session: Session, column: Any, hashes: Iterable[str], since: datetime) -> set[str]:
    wanted = sorted({h for h in hashes if h})
    if not wanted:
        return set()
    return set(
        session.exec(
            select(column)
            .join(Delivery, col(Mention.id) == col(Delivery.mention_id))
            .where(col(column).in_(wanted), Delivery.kind == "card")
            .where(col(Mention.received_at) >= since)
            .distinct()
        ).all()
    )


def first_text_card(session: Session, mention: Mention, channel: str, since: datetime) -> Delivery | None:
    """The earliest card in `channel` of another mention with this text, received since `since`,
    whose mention is still in this mention's department."""
    return _first_card(
        session, mention, Mention.text_hash, channel, since, Mention.department == mention.department
    )


def first_link_card(session: Session, mention: Mention, channel: str, since: datetime) -> Delivery | None:
    """The earliest card in `channel` of another mention sharing this mention's link, received since
    `since` (None when the mention has no link)."""
    if not mention.link_hash:
        return None
    return _first_card(session, mention, Mention.link_hash, channel, since)


def _first_card(
    session: Session, mention: Mention, column: Any, channel: str, since: datetime, *also: Any
) -> Delivery | None:
    """The earliest card in `channel` of another mention with the same `column` value as `mention`,
    received since `since` and meeting `also`."""
    return session.exec(
        select(Delivery)
        .join(Mention, col(Mention.id) == col(Delivery.mention_id))
        .where(col(column) == getattr(mention, column.key), Mention.id != mention.id, Delivery.kind == "card")
        .where(Delivery.channel == channel, *also)
        .where(col(Mention.received_at) >= since)
        .order_by(col(Delivery.id))
        .limit(1)
    ).first()
