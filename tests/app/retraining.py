"""Helper for retraining tests: a correction recorded through the store function the card actions use."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.classify.corrections import record_correction
from bot.store.engine import session_scope
from bot.store.models import Mention
from tests.reports.insights import seed


def correct(engine: Engine, text: str, to: str) -> None:
    """A correction through the store function the card actions use."""
    mention_id = seed(engine, text, "support")
    with session_scope(engine) as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None and record_correction(session, mention, to, "U1") is not None
        mention.department = to
