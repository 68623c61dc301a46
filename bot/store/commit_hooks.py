"""Run something only once a session's transaction has committed (a counter must not count a rollback)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call `callback` after `session` next commits; never if it rolls back (the work is retried then).

    The listener is attached to this session only and removed after it fires; a session that rolls back
    is discarded by `session_scope`, listener and all.
    """
    event.listen(session, "after_commit", lambda _session: callback(), once=True)
