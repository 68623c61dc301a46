"""Digest delivery: compose per audience, post to channels or DM users, upload the chart; the CLI command."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

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


def send_digest(services: Services, digest: Digest, *, slot: datetime, now: datetime, late: bool) -> None:
    """Send the digest covering the period that ends at `slot` to every recipient.

    Recipients are grouped by what they may read, so each group gets one composition (and one LLM
    call). Raises DeliveryError when any recipient could not be reached (the others still get it).
    """
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
    failed: list[str] = []
    for visible, recipients in groups.items():
        data = compose_for(services, digest, end=slot, visible=visible, late_note=note)
        chart = chart or render_chart(data)  # counts only: the same chart for every audience
        for recipient in recipients:
            try:
                deliver(services.slack, recipient, data, chart)
            except SlackApiError as exc:
                log.error("digest %s to %s failed: %s", digest.name, recipient, exc.response.get("error"))
                failed.append(recipient)
    if failed:
        raise DeliveryError(f"digest {digest.name} could not be sent to {', '.join(failed)}")
    log.info(
        "digest %s for slot %s sent to %d recipients (late=%s)",
        digest.name,
        slot,
        len(digest.recipients),
        late,
    )


def deliver(client: WebClient, recipient: str, data: DigestData, chart: bytes) -> str:
    """Post the digest then upload its chart to the same conversation; returns the conversation id."""
    channel = recipient
    if is_user(recipient):
        opened = client.conversations_open(users=recipient)
        channel = str(opened["channel"]["id"])
    payload = render_digest(data)
    posted = client.chat_postMessage(channel=channel, text=payload["text"], blocks=payload["blocks"])
    channel_id = str(posted.get("channel") or channel)
    client.files_upload_v2(
        channel=channel_id,
        file=chart,
        filename=f"digest-{data.end:%Y%m%d}.png",
        title=f"{data.title}: mentions per day",
        alt_txt="Mentions per day per department, stacked by sentiment",
    )
    return channel_id


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
            send_digest(services, digest, slot=now, now=now, late=False)
        except DeliveryError as exc:
            print(f"error: {exc}", file=out)
            return 1
        print(f"digest {name} sent to {', '.join(digest.recipients)}", file=out)
        return 0
    # The operator running --dry-run already has the database; show every department's texts.
    data = compose_for(services, digest, end=now, visible=frozenset(digest.departments))
    path = chart_path or Path(f"digest-{name}.png")
    path.write_bytes(render_chart(data))
    print(digest_as_text(data), file=out)
    print(f"\nchart written to {path}", file=out)
    return 0
