"""The App Home view: last 7 days per department, the triage queue, recent urgent mentions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.reports.insights.render import context, mention_line, section, title
from bot.reports.insights.stats import SENTIMENTS, Stats, compute_stats
from bot.reports.insights.top import recent_urgent
from bot.slack.cards import DEPARTMENT_EMOJI, SENTIMENT_EMOJI
from bot.store.engine import Engine
from bot.store.home_queries import triage_queue_size
from bot.store.mention_rows import MentionRow

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class HomeData:
    stats: Stats
    triage_open: int
    triage_channel: str  # channel id
    urgent: list[MentionRow]
    hidden: tuple[str, ...]  # departments whose urgent mentions this user may not read


def build_home(
    engine: Engine, departments: tuple[str, ...], visible: set[str], triage_channel: str, now: datetime
) -> HomeData:
    stats = compute_stats(
        engine, period="7d", window=WEEK, now=now, departments=departments, topics_from=visible
    )
    return HomeData(
        stats=stats,
        triage_open=triage_queue_size(engine, triage_channel),
        triage_channel=triage_channel,
        urgent=recent_urgent(engine, visible, since=now - WEEK, until=now, limit=5),
        hidden=tuple(d for d in departments if d not in visible),
    )


def render_home(data: HomeData) -> dict[str, Any]:
    """A `views.publish` home view."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Social mentions: last 7 days"}},
    ]
    for d in data.stats.departments:
        split = " ".join(f"{SENTIMENT_EMOJI[s]} {d.sentiment.get(s, 0)}" for s in SENTIMENTS)
        blocks.append(
            section(
                f"{DEPARTMENT_EMOJI.get(d.department, '❔')} *{title(d.department)}*: "
                f"{d.count} · {_trend(d.count, d.previous)} · {split}"
            )
        )
    if data.stats.top_topics:
        blocks.append(context("Top topics: " + ", ".join(f"{t} ({n})" for t, n in data.stats.top_topics)))
    blocks.append({"type": "divider"})
    blocks.append(section(f"*Triage queue:* {data.triage_open} waiting in <#{data.triage_channel}>"))
    blocks.append({"type": "divider"})
    blocks.append(section("*Recent urgent mentions*"))
    if data.urgent:
        blocks.extend(section(mention_line(row)) for row in data.urgent)
    else:
        blocks.append(context("No urgent mentions you can see in the last 7 days."))
    if data.hidden:
        names = ", ".join(title(d) for d in data.hidden)
        blocks.append(context(f"{names}: counts only; texts are visible to members of their channel."))
    return {"type": "home", "blocks": blocks}


def _trend(current: int, previous: int) -> str:
    if previous == 0:
        return "new this week" if current else "quiet"
    pct = (current - previous) * 100 / previous
    return f"{'▲' if pct > 0 else '▼' if pct < 0 else '='} {abs(pct):.0f}% vs the week before"
