"""Grouping by shared link: the same outside page posted on Reddit and HN becomes one card thread.

Kept apart from `copies.thread_parent` (copies of one text) on purpose: the two rules are
independent, and `_enqueue_card` asks for a text copy first, then for a shared link.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from bot.store.models import Delivery, Mention


def first_link_card(
    session: Session, mention: Mention, since_received: datetime, channel: str
) -> Delivery | None:
    """The first card, in `channel`, of a recent mention that shares this mention's outside link.

    Only a card in the channel this mention is routed to counts: a link shared in a sales thread and
    classified HR this time must not put its text under a card other teams can read.
    """
    if not mention.link_hash:
        return None
    return session.exec(
        select(Delivery)
        .join(Mention, col(Mention.id) == col(Delivery.mention_id))
        .where(Mention.link_hash == mention.link_hash, Mention.id != mention.id, Delivery.kind == "card")
        .where(Delivery.channel == channel)
        .where(col(Mention.received_at) >= since_received)
        .order_by(col(Delivery.id))
        .limit(1)
    ).first()


def carded_links(session: Session, hashes: Iterable[str], since_received: datetime) -> set[str]:
    """Which of these links have a card of a mention received since then, in any channel: a cheap
    superset read once per batch, so `first_link_card` is asked only for them."""
    wanted = sorted({h for h in hashes if h})
    if not wanted:
        return set()
    return set(
        session.exec(
            select(Mention.link_hash)
            .join(Delivery, col(Mention.id) == col(Delivery.mention_id))
            .where(col(Mention.link_hash).in_(wanted), Delivery.kind == "card")
            .where(col(Mention.received_at) >= since_received)
            .distinct()
        ).all()
    )
