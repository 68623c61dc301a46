"""What a card click reads and moves: the mention as it is now, its copies, and their thread replies.

Whether a click is valid is bot.store.card_guard; what a click means is bot.pipeline.actions. These run
inside the action's transaction, after the guard bumped the mention's version.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.store.models import Delivery, Mention


def get_mention(session: Session, mention_id: int, *, fresh: bool = False) -> Mention | None:
    """The mention, or None; `fresh` re-reads a row already in the session (after the guard's UPDATE)."""
    return session.get(Mention, mention_id, populate_existing=fresh)


def copies_of(session: Session, mention_id: int) -> list[Mention]:
    """The mentions threaded under this mention's card (its copies)."""
    return list(session.exec(select(Mention).where(Mention.duplicate_of == mention_id)).all())


def replies_outside(session: Session, mention_ids: Sequence[int | None], channel: str) -> list[Delivery]:
    """The thread replies posted for these mentions in any channel but `channel`."""
    return list(
        session.exec(
            select(Delivery)
            .where(col(Delivery.mention_id).in_(list(mention_ids)), Delivery.kind == "thread")
            .where(Delivery.channel != channel)
        ).all()
    )
