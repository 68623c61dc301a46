"""Whole-database totals: mentions per department, classifications per department × sentiment, and
deliveries per channel — what the demo prints at its end (fine for a demo-sized database: full scans)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.store.engine import session_scope
from bot.store.models import Classification, Delivery, Mention


@dataclass(frozen=True)
class Totals:
    mentions: dict[str, int]  # department → stored mentions
    sentiment: dict[str, dict[str, int]]  # department → sentiment → classifications (all, not the latest)
    posted: dict[str, int]  # channel → delivery rows


def totals(engine: Engine) -> Totals:
    with session_scope(engine) as session:
        per_department = select(Mention.department, func.count()).group_by(Mention.department)
        mentions = dict(session.exec(per_department).all())
        per_sentiment = session.exec(
            select(Mention.department, Classification.sentiment, func.count())
            .join(Classification, col(Classification.mention_id) == col(Mention.id))
            .group_by(Mention.department, Classification.sentiment)
        ).all()
        posted = dict(session.exec(select(Delivery.channel, func.count()).group_by(Delivery.channel)).all())
    sentiment: dict[str, dict[str, int]] = {}
    for department, mood, count in per_sentiment:
        sentiment.setdefault(department, {})[mood] = count
    return Totals(mentions, sentiment, posted)
