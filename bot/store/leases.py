"""Leases: a named job that one process at a time may run, on SQLite and PostgreSQL alike.

A lease is one row (name, holder, until). Taking it is a single conditional UPDATE — it succeeds only
when the lease has lapsed or is already ours — or, the first time, an INSERT that the primary key lets
only one process win. A holder that dies simply lets the lease lapse at `until`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.store.models import Lease

LEASES = Lease.__table__  # type: ignore[attr-defined]
_LAPSED = datetime(2000, 1, 1)


def claim_lease(engine: Engine, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take (or extend) lease `name` for `holder` until now + ttl; False when someone else holds it."""
    until = now + ttl
    with engine.begin() as conn:
        taken = conn.execute(
            update(LEASES)
            .where(LEASES.c.name == name, (LEASES.c.until < now) | (LEASES.c.holder == holder))
            .values(holder=holder, until=until)
        ).rowcount
    if taken:
        return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(LEASES).values(name=name, holder=holder, until=until))
    except IntegrityError:  # the row exists and is held by someone else (or was just inserted)
        return False
    return True


def release_lease(engine: Engine, name: str, holder: str) -> None:
    """Give the lease back at once (only if we still hold it), so the next claimant need not wait."""
    with engine.begin() as conn:
        conn.execute(
            update(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder).values(until=_LAPSED)
        )
