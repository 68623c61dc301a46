"""Corrections: recorded once, latest wins, turned into bounded few-shot examples and training pairs."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.classify.corrections import (
    correction_examples,
    few_shot_provider,
    few_shots_for,
    record_correction,
)
from bot.store.corrections import corrections_of
from bot.store.engine import session_scope
from bot.store.models import Mention
from tests.reports.insights import seed


def _correct(engine: Engine, mention_id: int, to: str, user: str = "U1") -> bool:
    with session_scope(engine) as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        recorded = record_correction(session, mention, to, user)
        if recorded is not None:
            mention.department = to
        return recorded is not None


def test_record_and_latest_wins(engine: Engine) -> None:
    mention_id = seed(engine, "Is there a discount for schools?", "support")
    assert _correct(engine, mention_id, "sales", "U1")
    assert not _correct(engine, mention_id, "sales", "U2")  # already there: nothing recorded
    assert _correct(engine, mention_id, "product", "U3")
    with session_scope(engine) as session:
        history = [
            (c.from_department, c.to_department, c.user_id) for c in corrections_of(session, mention_id)
        ]
    assert history == [("support", "sales", "U1"), ("sales", "product", "U3")]
    assert correction_examples(engine) == [("Is there a discount for schools?", "product")]


def test_few_shots_prefer_shared_words_then_recency_and_are_bounded(engine: Engine) -> None:
    ids = [
        seed(engine, "discount for schools please", "support"),
        seed(engine, "my invoice is wrong " + "x" * 800, "product"),
        seed(engine, "the weather is nice", "support"),
    ]
    for mention_id, to in zip(ids, ["sales", "support", "none"], strict=True):
        _correct(engine, mention_id, to)
    shots = few_shots_for(engine, "Any discount for a school district?", limit=2, max_chars=50)
    assert [s.department for s in shots] == ["sales", "none"]  # overlap first, then the newest
    assert shots[0].text == "discount for schools please"
    invoice = few_shots_for(engine, "invoice", limit=1, max_chars=50)[0]
    assert invoice.department == "support" and len(invoice.text) <= 50
    assert few_shot_provider(engine, limit=6)("anything") != ()
    assert few_shots_for(engine, "anything", limit=0) == ()
