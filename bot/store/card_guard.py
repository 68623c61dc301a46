"""The checks a card click must pass in SQL: is this message the mention's card, is the card current.

`claim_version` is the compare-and-increment that makes card actions safe under concurrency: the
UPDATE matches only while the mention still has the version the clicked card showed, so of two
clicks on the same card exactly one wins, and a click on a card that changed since is refused —
on SQLite (writers are serialised) and PostgreSQL (the second UPDATE re-checks the row) alike.
"""

from __future__ import annotations

from sqlalchemy import Table, exists, select, update
from sqlmodel import Session

from bot.store.models import Delivery, Mention

MENTIONS: Table = Mention.__table__  # type: ignore[attr-defined]
DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]


def is_card_of(session: Session, mention_id: int, channel: str, ts: str) -> bool:
    """True when the message (channel ID, ts) is a card the outbox posted for this mention."""
    if not channel or not ts:
        return False
    found = select(DELIVERIES.c.id).where(
        DELIVERIES.c.mention_id == mention_id,
        DELIVERIES.c.kind == "card",
        DELIVERIES.c.posted_channel == channel,
        DELIVERIES.c.message_ts == ts,
    )
    return bool(session.execute(select(exists(found))).scalar())


def claim_version(session: Session, mention_id: int, version: int) -> bool:
    """Bump the mention's version if it is still `version`; False: the card is stale (or gone)."""
    result = session.execute(
        update(MENTIONS)
        .where(MENTIONS.c.id == mention_id, MENTIONS.c.version == version)
        .values(version=MENTIONS.c.version + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
