"""Under a backlog, urgent-looking mentions are claimed (and so classified) first."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.domain.priority import PROBLEM, ROUTINE, URGENT, intake_priority
from bot.intake.incoming import from_record
from bot.store.mentions import claim_pending, store_mention


def test_intake_priority_from_cheap_signals() -> None:
    assert intake_priority("Your site is down and I can't log in!") == URGENT
    assert intake_priority("Service en panne depuis ce matin") == URGENT
    assert intake_priority("the export crashes on big files") == PROBLEM
    assert intake_priority("Love the new dashboard") == ROUTINE
    assert intake_priority("downtown office looks nice") == ROUTINE  # words, not substrings


def test_the_backlog_is_claimed_most_urgent_first_then_oldest_first(engine: Engine) -> None:
    texts = ["nice release", "export crashes", "we have an outage", "thanks team", "refund please", "hacked!"]
    ids = {
        text: store_mention(engine, from_record({"id": n, "text": text})).mention_id
        for n, text in enumerate(texts)
    }
    first = claim_pending(engine, limit=2)
    assert first == [ids["we have an outage"], ids["hacked!"]]
    second = claim_pending(engine, limit=3)  # the first claims are held: the next ones come next
    assert second == [ids["export crashes"], ids["refund please"], ids["nice release"]]
    assert claim_pending(engine, limit=10) == [ids["thanks team"]]
