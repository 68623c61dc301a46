"""Claimed schedule slots (`digestrun`): a unique (digest_name, slot) row is what makes a digest — or a
spike check — run once across restarts and processes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.domain.clock import utcnow
from bot.store.engine import session_scope
from bot.store.models import DigestRun

_RUNS = DigestRun.__table__  # type: ignore[attr-defined]


def claim_slot(
    engine: Engine,
    digest_name: str,
    slot: datetime,
    *,
    late: bool,
    then: Callable[[Session], object] | None = None,
) -> bool:
    """Insert the slot's row and run `then` in the same transaction; False (and nothing written) when
    another process or an earlier run already holds the slot."""
    try:
        with session_scope(engine) as session:
            session.add(DigestRun(digest_name=digest_name, slot=slot, late=late, created_at=utcnow()))
            if then is not None:
                session.flush()  # the unique slot key: a second claimant fails here, before `then`
                then(session)
    except IntegrityError:
        return False
    return True


def last_run(engine: Engine, digest_name: str) -> datetime | None:
    """The newest slot claimed for `digest_name`, if any."""
    with engine.connect() as conn:
        newest = select(func.max(_RUNS.c.slot)).where(_RUNS.c.digest_name == digest_name)
        value = conn.execute(newest).scalar()
    return value if isinstance(value, datetime) else None


def forget_runs(engine: Engine, digest_name: str, before: datetime) -> None:
    """Delete the slot rows of `digest_name` older than `before` (claims only needed briefly)."""
    with session_scope(engine) as session:
        session.execute(delete(_RUNS).where(_RUNS.c.digest_name == digest_name, _RUNS.c.slot < before))
