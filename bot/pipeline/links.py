"""Grouping by shared link: the same outside page posted on Reddit and HN becomes one card thread.

Kept apart from `copies.thread_parent` (copies of one text) on purpose: the two rules are
independent, and `_enqueue_card` asks for a text copy first, then for a shared link.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.store import threads
from bot.store.engine import Session
from bot.store.models import Delivery, Mention


def first_link_card(
    session: Session, mention: Mention, since_received: datetime, channel: str
) -> Delivery | None:
    """The first card, in `channel`, of a recent mention that shares this mention's outside link.

    Only a card in the channel this mention is routed to counts: a link shared in a sales thread and
    classified HR this time must not put its text under a card other teams can read.
    """
    return threads.first_link_card(session, mention, channel, since_received)


def carded_links(session: Session, hashes: Iterable[str], since_received: datetime) -> set[str]:
    """Which of these links have a card of a mention received since then, in any channel: a cheap
    superset read once per batch, so `first_link_card` is asked only for them."""
    return threads.carded_links(session, hashes, since_received)
