"""Digest delivery: compose per audience, then enqueue posts (channels), DMs (users) and the chart upload.

Composing may call an LLM, so it happens before any transaction; enqueueing is cheap and runs in the
caller's unit of work — the scheduler's, which also claims the slot, so a slot's messages are queued
exactly once or not at all. The outbox worker sends them (and waits out 429s and outages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.context import Services
from bot.domain.clock import utcnow
from bot.domain.errors import DeliveryError
from bot.domain.rules import Digest, RoutingRules, parse_duration
from bot.reports.digests.chart import render_chart
from bot.reports.digests.compose import build_digest
from bot.reports.digests.model import DigestData
from bot.reports.digests.render import digest_as_text, render_digest
from bot.reports.digests.summary import with_llm_summary
from bot.reports.visibility import Visibility
from bot.store.engine import Session, session_scope
from bot.store.outbox import enqueue

log = logging.getLogger(__name__)


def is_user(recipient: str) -> bool:
    return recipient[:1] in ("U", "W")


def visible_departments(
    recipient: str, departments: Sequence[str], rules: RoutingRules, visibility: Visibility
) -> frozenset[str]:
    """Departments whose texts this recipient may read.

    A user: whoever Visibility allows. A channel: its members are not checked one by one, so restricted
    texts go only to the restricted department's own channel.
    """
    if is_user(recipient):
        return frozenset(d for d in departments if visibility.can_see_texts(recipient, d))
    return frozenset(
        d for d in departments if not rules.is_restricted(d) or rules.channel_for(d) == recipient
    )


def compose_for(
    services: Services, digest: Digest, *, end: datetime, visible: frozenset[str], late_note: str = ""
) -> DigestData:
    data = build_digest(
        services.engine,
        services.rules,
        departments=list(digest.departments),
        period=parse_duration(digest.period),
        now=end,
        show_texts_for=lambda dept: dept in visible,
        title=f"Digest: {digest.name}",
        timezone=digest.timezone,
    )
    return with_llm_summary(replace(data, late_note=late_note), services.settings)


def late_note(digest: Digest, slot: datetime) -> str:
    local = slot.replace(tzinfo=UTC).astimezone(ZoneInfo(digest.timezone))
    return f"Sent late: this digest was due {local:%Y-%m-%d %H:%M %Z} and the bot was down at that time."


Message = tuple[str, dict[str, Any]]  # (recipient, payload)


def compose_digest(
    services: Services, digest: Digest, *, slot: datetime, late: bool
) -> tuple[list[Message], bytes]:
    """Each recipient's message (grouped by what they may read: one composition and LLM call per
    group) and the chart, which shows counts only and is the same for everyone."""
    if services.slack is None:
        raise DeliveryError("Slack is not configured (SLACK_BOT_TOKEN): cannot send a digest")
    visibility = Visibility(services.slack, services.rules)
    depts = list(digest.departments)
    groups: dict[frozenset[str], list[str]] = {}
    for recipient in digest.recipients:
        groups.setdefault(visible_departments(recipient, depts, services.rules, visibility), []).append(
            recipient
        )
    note = late_note(digest, slot) if late else ""
    chart: bytes | None = None
    messages: list[Message] = []
    for visible, recipients in groups.items():
        data = compose_for(services, digest, end=slot, visible=visible, late_note=note)
        chart = chart or render_chart(data)
        payload = render_digest(data)
        messages += [(recipient, payload) for recipient in recipients]
    return messages, chart or b""


def enqueue_digest(
    session: Session, digest: Digest, key: str, messages: list[Message], chart: bytes, *, end: datetime
) -> int:
    """Queue each recipient's message, and the chart after it in the same conversation; returns rows."""
    details = {
        "filename": f"digest-{end:%Y%m%d}.png",
        "title": f"Digest: {digest.name}: mentions per day",
        "alt_txt": "Mentions per day per department, stacked by sentiment",
    }
    queued = 0
    for recipient, payload in messages:
        row = enqueue(
            session,
            dedupe_key=f"digest:{digest.name}:{key}:{recipient}",
            kind="dm" if is_user(recipient) else "digest",
            channel=recipient,
            payload=payload,
        )
        if row is None:
            continue
        queued += 1
        if chart:
            enqueue(
                session,
                dedupe_key=f"digest-chart:{digest.name}:{key}:{recipient}",
                kind="upload",
                channel=recipient,
                payload=details,
                parent_id=row.id,
                attachment=chart,
            )
    return queued


def send_digest(services: Services, digest: Digest, *, slot: datetime, late: bool, key: str) -> int:
    """Compose, then queue in one unit of work (no slot claim: for `python -m bot digest NAME`)."""
    messages, chart = compose_digest(services, digest, slot=slot, late=late)
    with session_scope(services.engine) as session:
        queued = enqueue_digest(session, digest, key, messages, chart, end=slot)
    services.delivery_ready.set()
    log.info("digest %s queued for %d recipients (late=%s)", digest.name, queued, late)
    return queued


def run_digest_command(
    services: Services,
    name: str,
    *,
    dry_run: bool,
    out: TextIO,
    chart_path: Path | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """`python -m bot digest NAME [--dry-run]`: print (and write the chart) or send now. Exit code 0/1."""
    digest = next((d for d in services.rules.digests if d.name == name), None)
    if digest is None:
        names = ", ".join(d.name for d in services.rules.digests) or "(none configured)"
        print(f"error: no digest named {name!r} in the rules file; configured digests: {names}", file=out)
        return 1
    now = clock()
    if not dry_run:
        try:
            send_digest(services, digest, slot=now, late=False, key=f"now:{now.isoformat()}")
        except DeliveryError as exc:
            print(f"error: {exc}", file=out)
            return 1
        print(
            f"digest {name} queued for {', '.join(digest.recipients)}: a running `python -m bot serve` "
            "(or worker) posts it",
            file=out,
        )
        return 0
    # The operator running --dry-run already has the database; show every department's texts.
    data = compose_for(services, digest, end=now, visible=frozenset(digest.departments))
    path = chart_path or Path(f"digest-{name}.png")
    path.write_bytes(render_chart(data))
    print(digest_as_text(data), file=out)
    print(f"\nchart written to {path}", file=out)
    return 0
