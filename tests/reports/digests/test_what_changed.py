"""The digest a manager reads: days of the digest's timezone by posted time, one y-scale with readable
names, a retweet and its original as one notable item, and a summary that says what changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.domain.rules import RoutingRules
from bot.domain.text import text_hash
from bot.reports.digests.changes import department_name
from bot.reports.digests.chart import chart_days, chart_series, render_chart, y_limit
from bot.reports.digests.compose import build_digest
from bot.reports.digests.render import digest_as_text
from tests.reports.digests import Row, link_copies, seed

NOW = datetime(2026, 11, 23, 9, 0)  # UTC; 10:00 in Oslo, 04:00 in New York
WEEK = timedelta(days=7)


def test_chart_days_are_the_digest_timezone_days_of_the_posted_time(
    engine: Engine, rules: RoutingRules
) -> None:
    late_evening_utc = datetime(2026, 11, 20, 23, 30)  # 21 Nov 00:30 in Oslo, 20 Nov 18:30 in New York
    seed(engine, [Row("support", late_evening_utc, "posted late")])
    with engine.begin() as conn:  # received days later: the chart must not move it
        conn.execute(text("UPDATE mention SET received_at = :at"), {"at": NOW - timedelta(hours=1)})
    for zone, day in (("Europe/Oslo", date(2026, 11, 21)), ("America/New_York", date(2026, 11, 20))):
        d = build_digest(engine, rules, departments=["support"], period=WEEK, now=NOW, timezone=zone)
        assert [(c.day, c.count) for c in d.daily] == [(day, 1)]
        days = chart_days(d)
        assert chart_series(d)["support"]["neutral"][days.index(day)] == 1
    utc = build_digest(engine, rules, departments=["support"], period=WEEK, now=NOW)
    assert [c.day for c in utc.daily] == [date(2026, 11, 20)]


def test_one_y_scale_across_departments_and_readable_names(engine: Engine, rules: RoutingRules) -> None:
    seed(engine, [Row("support", NOW - timedelta(days=1), f"busy {i}") for i in range(9)])
    seed(engine, [Row("hr", NOW - timedelta(days=2), "quiet")])
    d = build_digest(engine, rules, departments=["support", "hr"], period=WEEK, now=NOW)
    series = chart_series(d)
    assert y_limit(series) == 9  # the busiest department's tallest day sets every panel's scale
    assert max(sum(day) for day in zip(*series["hr"].values(), strict=True)) == 1
    assert render_chart(d).startswith(b"\x89PNG")
    assert [department_name(x) for x in d.departments] == ["Support", "HR"]  # the panel titles
    assert "Support (new, 9)" in d.summary


def test_a_retweet_and_its_original_are_one_notable_item(engine: Engine, rules: RoutingRules) -> None:
    original = "Your checkout is broken and I was charged twice"
    rows = [
        Row("support", NOW - timedelta(hours=3), original, "negative", "high"),
        Row("support", NOW - timedelta(hours=2), f"RT @angry: {original}", "negative", "high"),
    ]
    seed(engine, rows)
    with engine.begin() as conn:  # the normalised hash the pipeline stores ('RT @x:' folded away)
        conn.execute(text("UPDATE mention SET text_hash = :h"), {"h": text_hash(original)})
    d = build_digest(engine, rules, departments=["support"], period=WEEK, now=NOW)
    assert len(d.notable) == 1  # not linked as copies yet: one item by the shared text hash
    link_copies(engine)  # linked, as the pipeline does when the retweet joins the first card's thread
    linked = build_digest(engine, rules, departments=["support"], period=WEEK, now=NOW)
    assert [(m.text, m.why, m.repeats) for m in linked.notable] == [(original, "urgent", 2)]


def test_offline_summary_says_what_changed(engine: Engine, rules: RoutingRules) -> None:
    before = [Row("sales", NOW - WEEK - timedelta(days=1), f"quote {i}", topics="pricing") for i in range(10)]
    now = [Row("support", NOW - timedelta(days=1), f"refund {i}", topics="refund,billing") for i in range(12)]
    now += [Row("sales", NOW - timedelta(days=2), f"quote again {i}", topics="pricing") for i in range(2)]
    seed(engine, before + now)
    d = build_digest(engine, rules, departments=["support", "sales"], period=WEEK, now=NOW)
    assert d.summary.startswith("14 mentions (▲ 40%, 10 → 14).")
    assert "Top topics: billing (12), refund (12), pricing (2)." in d.summary
    assert "Biggest movers: Support (new, 12); Sales (▼ 80%, 10 → 2)" in d.summary
    assert "topic billing (new, 12); topic refund (new, 12)." in d.summary  # the two largest moves
    assert d.summary in digest_as_text(d)
    quiet = build_digest(engine, rules, departments=["hr"], period=WEEK, now=NOW)
    assert quiet.summary == ""
    assert replace(d, summary="").summary == ""
