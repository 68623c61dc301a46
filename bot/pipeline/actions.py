"""What the card buttons do to the data: reassign, acknowledge, not relevant (no Slack listener code).

Each action runs in one unit of work and first proves the click is valid (bot.store.card_guard):
the clicked message must be a card the outbox posted for that mention, and the card's version must
still be the mention's — compared and bumped in one UPDATE. So a double click, a stale card or a
click racing another user's changes nothing (StaleCard), instead of the last writer winning. The
caller gets back what to show on the clicked card; a restricted mention's text is never rendered
outside its own channel. A reassignment also enqueues the card for the new channel in the outbox, in
the same transaction, so it is posted exactly once even if the process dies right after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from bot.classify.corrections import record_correction
from bot.context import Services
from bot.domain.clock import utcnow
from bot.domain.rules import DEPARTMENTS
from bot.domain.text import escape_for_slack, truncate
from bot.pipeline.views import fallback_channel, load_card_view
from bot.slack.cards import CardView, render_card
from bot.store import rollup_writes
from bot.store.card_guard import claim_version, is_card_of
from bot.store.card_state import copies_of, get_mention, replies_outside
from bot.store.engine import Session, session_scope
from bot.store.models import Mention
from bot.store.outbox import enqueue, replace_pending_update

log = logging.getLogger(__name__)
STALE = "This card changed since you opened it (someone acted on it first), so I changed nothing."


class ActionRefused(Exception):
    """The click cannot be applied (unknown mention or department); the message is for the user."""


class StaleCard(ActionRefused):
    """The clicked card no longer shows the mention's current state."""

    def __init__(self) -> None:
        super().__init__(STALE)


@dataclass(frozen=True)
class Click:
    """One button click: which mention and card version it names, who clicked, and on which message."""

    mention_id: int
    version: int  # the mention version the card was rendered with
    user_id: str
    channel: str  # channel ID of the clicked message
    ts: str  # its message ts


@dataclass(frozen=True)
class ActionOutcome:
    """The result of one click."""

    mention_id: int
    changed: bool  # False: already done (double click), nothing was written
    card: dict[str, Any]  # {"text", "blocks"} for the clicked message
    note: str  # trusted markup describing what happened, e.g. "moved to <#C0SALES> by <@U1>"


def reassign(services: Services, click: Click, to_department: str) -> ActionOutcome:
    """Move a mention to another department: correction, new card in its channel, old card updated."""
    if to_department not in DEPARTMENTS:
        # the value comes from the click payload, which anyone with the signing secret can forge
        shown = escape_for_slack(truncate(str(to_department), 40))
        raise ActionRefused(f"'{shown}' is not a department I know.")
    channel = services.rules.channel_for(to_department)
    if channel is None:
        raise ActionRefused(f"No channel is configured for {to_department}.")
    channel_id = services.channel_id(channel)
    mention_id, user_id = click.mention_id, click.user_id
    with session_scope(services.engine) as session:
        mention, view = _load(session, services, click)
        note = f"moved to <#{channel_id}> by <@{user_id}>"
        correction = record_correction(session, mention, to_department, user_id)
        _handled(mention, "reassigned", user_id)
        rollup_writes.move(session, mention, to_department)
        mention.department = to_department
        _carry_copies(session, services, mention, channel_id)
        moved = replace(view, department=to_department, triage=False, state="new", ping="")
        enqueue(
            session,
            dedupe_key=f"reassign:{mention_id}:{correction.id if correction else 'same'}:{mention.version}",
            kind="card",
            channel=channel_id,
            payload=render_card(replace(moved, reason=f"reassigned by a person (was {view.department})")),
            mention_id=mention_id,
            fallback_channel=fallback_channel(services, to_department, channel_id),
        )
        outcome = _outcome(services, click, mention, view, "reassigned", note)
    services.delivery_ready.set()
    return outcome


def acknowledge(services: Services, click: Click) -> ActionOutcome:
    """Mark a mention handled by the clicking user."""
    with session_scope(services.engine) as session:
        mention, view = _load(session, services, click)
        _handled(mention, "acknowledged", click.user_id)
        return _outcome(services, click, mention, view, "acknowledged", f"by <@{click.user_id}>")


def not_relevant(services: Services, click: Click) -> ActionOutcome:
    """Mark a mention as none (not actionable) and record that as a correction."""
    with session_scope(services.engine) as session:
        mention, view = _load(session, services, click)
        record_correction(session, mention, "none", click.user_id)
        _handled(mention, "not_relevant", click.user_id)
        outcome = _outcome(services, click, mention, view, "not_relevant", f"by <@{click.user_id}>")
        # before the department changes: it leaves the old buckets
        rollup_writes.move(session, mention, "none")
        mention.department = "none"
        return outcome


def _load(session: Session, services: Services, click: Click) -> tuple[Mention, CardView]:
    """The mention and its card, once the click proved to be on its current card (else refused)."""
    if not is_card_of(session, click.mention_id, click.channel, click.ts):
        log.warning(
            "refused a click by %s naming mention %s on message %s/%s, which is not its card",
            click.user_id,
            click.mention_id,
            click.channel,
            click.ts,
        )
        raise ActionRefused("That button does not belong to this mention's card, so I changed nothing.")
    if not claim_version(session, click.mention_id, click.version):  # the lock (PG) and the check
        if get_mention(session, click.mention_id) is None:
            raise ActionRefused("I can't find that mention any more.")
        log.info("stale click by %s on mention %s (card v%s)", click.user_id, click.mention_id, click.version)
        raise StaleCard()
    mention = get_mention(session, click.mention_id, fresh=True)
    view = (
        load_card_view(session, click.mention_id, services.rules, services.people)
        if mention is not None
        else None
    )
    if mention is None or view is None:
        raise ActionRefused("I can't find that mention any more.")
    if mention.department and mention.department != view.department:
        view = replace(view, department=mention.department, triage=False)  # it was reassigned before
    return mention, replace(view, version=mention.version)


def _carry_copies(session: Session, services: Services, mention: Mention, channel_id: str) -> None:
    """Copies threaded under this mention's card move with it (they are the same text). Into a
    restricted department, their thread replies elsewhere are redacted through the outbox."""
    assert mention.id is not None
    copies = copies_of(session, mention.id)
    for copy in copies:
        rollup_writes.move(session, copy, mention.department)  # the counts move with the copy
        copy.department = mention.department
    if not copies or not services.rules.is_restricted(mention.department):
        return
    replies = replies_outside(session, [c.id for c in copies], channel_id)
    for reply in replies:
        text = (
            f"🔒 A copy of mention #{mention.id}, moved to <#{channel_id}>. Its text is only visible there."
        )
        enqueue(
            session,
            dedupe_key=f"redact:{reply.id}",
            kind="update",
            channel=reply.channel,
            payload={"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]},
            mention_id=reply.mention_id,
            parent_id=reply.id,
        )


def _handled(mention: Mention, state: str, user_id: str) -> None:
    mention.state = state
    mention.handled_by = user_id
    mention.handled_at = utcnow()


def _outcome(
    services: Services, click: Click, mention: Mention, view: CardView, state: str, note: str
) -> ActionOutcome:
    assert mention.id is not None
    final = replace(view, state=state, state_note=note, ping="")
    if _restricted_elsewhere(services, mention.department, click.channel):
        card = _restricted_stub(final, note)
    else:
        card = render_card(final)
    return ActionOutcome(mention.id, True, card, note)


def _restricted_elsewhere(services: Services, department: str, channel_id: str) -> bool:
    """A restricted department's text may only be rendered in that department's own channel."""
    if not services.rules.is_restricted(department):
        return False
    own = services.rules.channel_for(department)
    return own is None or services.channel_id(own) != channel_id


def _restricted_stub(view: CardView, note: str) -> dict[str, Any]:
    """The old card once its mention moved to a restricted department: the text must not stay here."""
    text = f"↪️ Mention #{view.mention_id} {note}. Its text is only visible in that channel."
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def queue_card_update(services: Services, outcome: ActionOutcome, channel: str, ts: str) -> None:
    """Send the clicked card's new look through the outbox (chat.update, retried like any message).

    A pending update of the same message that has not gone out yet is replaced: only the newest look
    of a card matters, and it must not be overtaken by an older one.
    """
    with session_scope(services.engine) as session:
        replace_pending_update(session, channel, ts)
        enqueue(
            session,
            dedupe_key=f"update:{channel}:{ts}:{utcnow().isoformat()}:{outcome.mention_id}",
            kind="update",
            channel=channel,
            payload={"ts": ts, "text": outcome.card["text"], "blocks": outcome.card["blocks"]},
            mention_id=outcome.mention_id,
        )
    services.delivery_ready.set()
