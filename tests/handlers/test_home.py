"""App Home: app_home_opened publishes the 7-day overview, the triage queue and visible urgent mentions."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from bot.domain.clock import utcnow
from bot.domain.rules import RoutingRules
from bot.store.engine import session_scope
from bot.store.outbox import enqueue
from tests.handlers import running_app, wait_for
from tests.reports.insights import seed


def test_home_view_blocks(sqlite_engine: Engine, rules: RoutingRules) -> None:
    now = utcnow()
    seed(
        sqlite_engine, "Checkout crashes every time", "product", now=now, urgency="high", sentiment="negative"
    )
    seed(sqlite_engine, "Toxic culture in the warehouse team", "hr", now=now, urgency="high")
    triaged = seed(sqlite_engine, "hmm not sure who this is for", "support", now=now)
    with session_scope(sqlite_engine) as session:
        enqueue(
            session,
            dedupe_key=f"card:{triaged}",
            kind="card",
            channel="C0TRIAGE",
            payload={"text": "x"},
            mention_id=triaged,
        )
    with running_app(sqlite_engine, rules) as h:
        status, _ = h.event({"type": "app_home_opened", "user": "U5", "channel": "D1", "tab": "home"})
        assert status == 200
        call = wait_for(lambda: h.slack.calls("views.publish"))[0]
    view = json.loads(call["view"]) if isinstance(call["view"], str) else call["view"]
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert call["user_id"] == "U5" and view["type"] == "home"
    assert "*Product*: 1 · new this week" in text and "*HR*: 1" in text
    assert "*Triage queue:* 1 waiting in <#C0TRIAGE>" in text
    assert "Checkout crashes every time" in text
    assert "Toxic culture" not in text and "HR: counts only" in text
