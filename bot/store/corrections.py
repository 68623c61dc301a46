"""Human corrections as stored: adding one, a mention's history, those of a batch's texts, the newest
per mention, and the counter
the retrainer polls. What a correction means (labels, few-shot scoring) is bot.classify.corrections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.store.models import Correction, Mention

# The latest correction per mention; the text is cut in SQL so huge mentions never reach Python whole.
_LATEST = (
    "SELECT substr(m.text, 1, 2000) AS body, c.to_department AS label FROM correction c "
    "JOIN mention m ON m.id = c.mention_id "
    "WHERE c.id = (SELECT MAX(c2.id) FROM correction c2 WHERE c2.mention_id = c.mention_id) "
    "ORDER BY c.id DESC"
)


def add_correction(
    session: Session,
    *,
    mention_id: int,
    from_department: str,
    to_department: str,
    user_id: str,
    created_at: datetime,
) -> Correction:
    """Add the record in the caller's unit of work (flushed, so it has its id)."""
    correction = Correction(
        mention_id=mention_id,
        from_department=from_department,
        to_department=to_department,
        user_id=user_id,
        created_at=created_at,
    )
    session.add(correction)
    session.flush()
    return correction


def corrections_of(session: Session, mention_id: int) -> list[Correction]:
    """A mention's corrections, oldest first (who, when, from, to)."""
    query = select(Correction).where(Correction.mention_id == mention_id).order_by(col(Correction.id))
    return list(session.exec(query).all())


def corrections_by_text(session: Session, hashes: Iterable[str]) -> dict[str, list[tuple[int, int, str]]]:
    """Per text hash, every human correction of a mention with that text as (correction id, mention id,
    to department), newest first (corrections are few)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    rows = session.exec(
        select(Correction.id, Correction.mention_id, Correction.to_department, Mention.text_hash)
        .join(Mention, col(Mention.id) == col(Correction.mention_id))
        .where(col(Mention.text_hash).in_(wanted))
        .order_by(col(Correction.id).desc())
    ).all()
    found: dict[str, list[tuple[int, int, str]]] = {}
    for correction_id, mention_id, to_department, hashed in rows:
        assert correction_id is not None
        found.setdefault(hashed, []).append((correction_id, mention_id, to_department))
    return found


def latest_corrections(engine: Engine, limit: int | None = None) -> list[tuple[str, str]]:
    """(text cut to 2000 characters, department) of each corrected mention's latest correction, newest
    first; the department is whatever was stored (the caller checks it is still a label)."""
    statement = _LATEST + (" LIMIT :limit" if limit is not None else "")
    with engine.connect() as conn:
        rows = conn.execute(text(statement), {"limit": limit} if limit is not None else {}).all()
    return [(str(row.body), str(row.label)) for row in rows]


def corrections_after(engine: Engine, after_id: int) -> tuple[int, int]:
    """(how many corrections have an id above `after_id`, the highest correction id overall)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM correction WHERE id > :after) AS new, "
                "(SELECT COALESCE(MAX(id), 0) FROM correction) AS top"
            ),
            {"after": after_id},
        ).one()
    return int(row.new), int(row.top)
