"""Spike alerts: recent volume per department and topic against the same hours of previous days.

Comparing with the same clock hours of earlier days (not with the last few hours) is what keeps the
daily rhythm — a lunchtime peak every day — from alerting. Detection is a pure function over hourly
count series; `check_spikes` adds the SQL aggregation, the cooldown and the Slack message — the
cooldown record and the message's outbox rows are written in one transaction, so an alert is sent
exactly once (never lost to a 429, never repeated at the next check).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.context import Services
from bot.domain.rules import Alerts, RoutingRules, parse_duration
from bot.domain.text import escape_for_slack, truncate
from bot.reports.digests.notable import mention_link
from bot.store import rollups
from bot.store.alert_queries import alerts_since, record_alert, window_texts
from bot.store.engine import Engine, session_scope
from bot.store.outbox import enqueue

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
BASELINE_FLOOR = 1.0  # a zero baseline would make any handful of mentions a "spike"
LINKS_PER_ALERT = 5
SeriesKey = tuple[str, str]  # (department, topic); topic "" is the department's total


@dataclass(frozen=True)
class Spike:
    department: str
    topic: str  # "" for the department as a whole
    window_start: datetime
    window_end: datetime
    count: int
    baseline: float  # mean count for the same hours over the previous baseline_days days
    related: tuple[str, ...] = ()  # other topics spiking in the same department (the same mentions, often)

    @property
    def ratio(self) -> float:
        return self.count / max(self.baseline, BASELINE_FLOOR)


def window_hours(alerts: Alerts) -> list[int]:
    """Hour offsets making up the window, newest (the current, partial hour) first."""
    hours = max(1, math.ceil(parse_duration(alerts.window) / HOUR))
    return list(range(hours))


def detect_spikes(
    counts: Mapping[SeriesKey, Mapping[datetime, int]], alerts: Alerts, now: datetime
) -> list[Spike]:
    """Series whose window count is ≥ min_count and ≥ factor × baseline mean (hour buckets, naive UTC).

    One spike per department: its strongest topic (naming the others that spike with it), or the
    department as a whole when no single topic explains it — so one spike is one alert.
    """
    current = now.replace(minute=0, second=0, microsecond=0)
    hours = [current - k * HOUR for k in window_hours(alerts)]
    found: list[Spike] = []
    for (dept, topic), series in counts.items():
        count = sum(series.get(h, 0) for h in hours)
        if count < alerts.min_count:
            continue
        days = range(1, alerts.baseline_days + 1)
        baseline = (
            sum(series.get(h - timedelta(days=d), 0) for d in days for h in hours) / alerts.baseline_days
        )
        if count >= alerts.factor * max(baseline, BASELINE_FLOOR):
            found.append(Spike(dept, topic, hours[-1], now, count, baseline))
    best: dict[str, Spike] = {}
    for spike in sorted(found, key=lambda s: (not s.topic, -s.count, -s.ratio, s.topic)):
        if spike.department not in best:
            others = tuple(
                s.topic for s in found if s.department == spike.department and s.topic != spike.topic
            )
            best[spike.department] = replace(spike, related=tuple(sorted(t for t in others if t)))
    return sorted(best.values(), key=lambda s: (-s.ratio, s.department))


def hourly_counts(
    engine: Engine, rules: RoutingRules, alerts: Alerts, now: datetime
) -> dict[SeriesKey, dict[datetime, int]]:
    """Mentions per POSTED hour per department and per (department, topic), from the rollups, only for
    the hours detection reads (the window, and the same hours of the baseline days)."""
    current = now.replace(minute=0, second=0, microsecond=0)
    span = len(window_hours(alerts)) * HOUR
    ends = [current + HOUR - timedelta(days=d) for d in range(alerts.baseline_days + 1)]
    names = list(rules.departments)
    counts: dict[SeriesKey, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    with engine.connect() as conn:
        for end in ends:
            stop = min(end, now)  # the current hour: what has been posted so far
            for b in rollups.counts(conn, end - span, stop, names, by_hour=True):
                counts[(b.department, "")][rollups.hour_start(b.epoch_hour or 0)] += b.n
            for t in rollups.topic_counts(conn, end - span, stop, names, by_hour=True):
                counts[(t.department, t.topic)][rollups.hour_start(t.epoch_hour or 0)] += t.n
    return counts


def in_cooldown(engine: Engine, spike: Spike, cooldown: timedelta, now: datetime) -> bool:
    return alerts_since(engine, spike.department, spike.topic, now - cooldown) > 0


def check_spikes(services: Services, *, now: datetime) -> list[Spike]:
    """Detect, skip spikes in cooldown, record, then alert. Returns the spikes alerted on."""
    alerts = services.rules.alerts
    if alerts is None:
        return []
    cooldown = parse_duration(alerts.cooldown)
    raised = []
    for spike in detect_spikes(hourly_counts(services.engine, services.rules, alerts, now), alerts, now):
        if in_cooldown(services.engine, spike, cooldown, now):
            continue
        payload = render_alert(spike, alerts, _examples(services.engine, spike))
        with session_scope(services.engine) as session:
            record_id = record_alert(
                session,
                department=spike.department,
                topic=spike.topic,
                window_start=spike.window_start,
                count=spike.count,
                baseline=spike.baseline,
                created_at=now,
            )
            for target in alert_targets(services.rules, alerts, spike.department):
                enqueue(
                    session,
                    dedupe_key=f"alert:{record_id}:{target}",
                    kind="dm" if target[:1] in ("U", "W") else "alert",
                    channel=target,
                    payload=payload,
                )
        services.delivery_ready.set()
        raised.append(spike)
    return raised


def _examples(engine: Engine, spike: Spike) -> list[tuple[str, str]]:
    """(excerpt, link) for a few mentions in the spike's window."""
    found = []
    for row in window_texts(engine, spike.department, spike.window_start, spike.window_end):
        if spike.topic and spike.topic not in {t.strip().lower() for t in row.topics.split(",")}:
            continue
        link = mention_link(row.url, row.slack_channel, row.slack_ts)
        found.append((truncate(" ".join(row.text.split()), 120), link))
        if len(found) == LINKS_PER_ALERT:
            break
    return found


def render_alert(spike: Spike, alerts: Alerts, examples: list[tuple[str, str]]) -> dict[str, Any]:
    what = f"*{spike.department}*" + (f", topic *{escape_for_slack(spike.topic)}*" if spike.topic else "")
    if spike.related:
        what += f" (with {escape_for_slack(', '.join(spike.related))})"
    line = (
        f":chart_with_upwards_trend: Spike in {what}: {spike.count} mentions in the last {alerts.window} "
        f"vs {spike.baseline:.1f} usual for these hours (mean of the previous {alerts.baseline_days} days), "
        f"×{spike.ratio:.1f}."
    )
    items = []
    for excerpt, link in examples:
        safe = link if link.startswith(("https://", "http://")) and not any(c in link for c in " |<>") else ""
        items.append(f"• <{safe}|{escape_for_slack(excerpt)}>" if safe else f"• {escape_for_slack(excerpt)}")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": line}}]
    if items:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(items), 3000)}}
        )
    fallback = (
        f"Spike in {spike.department}{' / ' + spike.topic if spike.topic else ''}: {spike.count} mentions"
    )
    return {"text": fallback, "blocks": blocks}


def alert_targets(rules: RoutingRules, alerts: Alerts, department: str) -> list[str]:
    """Managers by DM; else the alerts channel (never for restricted departments); else the department's."""
    config = rules.departments.get(department)  # type: ignore[call-overload]
    if config is not None and config.managers:
        return list(config.managers)
    if alerts.channel and not rules.is_restricted(department):
        return [alerts.channel]
    return [config.channel] if config is not None else []
