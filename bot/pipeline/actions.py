"""What the card buttons do to the data: reassign, acknowledge, not relevant (no Slack listener code).

Each action runs in one unit of work and is idempotent: repeating it (a double click, a Slack retry)
finds the mention already in the wanted state and changes nothing. The caller gets back what to show
on the clicked card; a reassignment also enqueues the card for the new channel in the outbox, in the
same transaction, so it is posted exactly once even if the process dies right after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from bot.classify.corrections import record_correction
from bot.context import Services
from bot.domain.clock import utcnow
from bot.domain.rules import DEPARTMENTS
from bot.pipeline.process import load_card_view
from bot.slack.cards import CardView, render_card
from bot.store import rollups
from bot.store.engine import session_scope
from bot.store.models import Mention
from bot.store.outbox import enqueue


class ActionRefused(Exception):
    """The click cannot be applied (unknown mention or department); the message is for the user."""


@dataclass(frozen=True)
class ActionOutcome:
    """The result of one click."""

    mention_id: int
    changed: bool  # False: already done (double click), nothing was written
    card: dict[str, Any]  # {"text", "blocks"} for the clicked message
    note: str  # trusted markup describing what happened, e.g. "moved to <#C0SALES> by <@U1>"


def reassign(services: Services, mention_id: int, to_department: str, user_id: str) -> ActionOutcome:
    """Move a mention to another department: correction, new card in its channel, old card updated."""
    if to_department not in DEPARTMENTS:
        raise ActionRefused(f"'{to_department}' is not a department I know.")
    channel = services.rules.channel_for(to_department)
    if channel is None:
        raise ActionRefused(f"No channel is configured for {to_department}.")
    channel_id = services.channel_id(channel)
    with session_scope(services.engine) as session:
        mention, view = _load(session, services, mention_id)
        note = f"moved to <#{channel_id}> by <@{user_id}>"
        if mention.department == to_department and mention.state == "reassigned":
            return _outcome(services, mention, view, "reassigned", note, changed=False)
        correction = record_correction(session, mention, to_department, user_id)
        _handled(mention, "reassigned", user_id)
        rollups.move(session, mention, to_department)
        mention.department = to_department
        moved = replace(view, department=to_department, triage=False, state="new", ping="")
        enqueue(
            session,
            dedupe_key=f"reassign:{mention_id}:{correction.id if correction else 'same'}",
            kind="card",
            channel=channel_id,
            payload=render_card(replace(moved, reason=f"reassigned by a person (was {view.department})")),
            mention_id=mention_id,
        )
        outcome = _outcome(services, mention, view, "reassigned", note, changed=True)
    services.delivery_ready.set()
    return outcome


def acknowledge(services: Services, mention_id: int, user_id: str) -> ActionOutcome:
    """Mark a mention handled by `user_id`."""
    with session_scope(services.engine) as session:
        mention, view = _load(session, services, mention_id)
        if mention.state == "acknowledged":
            note = f"by <@{mention.handled_by}>"
            return _outcome(services, mention, view, "acknowledged", note, changed=False)
        _handled(mention, "acknowledged", user_id)
        return _outcome(services, mention, view, "acknowledged", f"by <@{user_id}>", changed=True)


def not_relevant(services: Services, mention_id: int, user_id: str) -> ActionOutcome:
    """Mark a mention as none (not actionable) and record that as a correction."""
    with session_scope(services.engine) as session:
        mention, view = _load(session, services, mention_id)
        if mention.state == "not_relevant":
            note = f"by <@{mention.handled_by}>"
            return _outcome(services, mention, view, "not_relevant", note, changed=False)
        record_correction(session, mention, "none", user_id)
        _handled(mention, "not_relevant", user_id)
        outcome = _outcome(services, mention, view, "not_relevant", f"by <@{user_id}>", changed=True)
        rollups.move(session, mention, "none")
        mention.department = "none"
        return outcome


def _load(session: Session, services: Services, mention_id: int) -> tuple[Mention, CardView]:
    mention = session.get(Mention, mention_id, with_for_update=True)  # serialises concurrent clicks (PG)
    view = load_card_view(session, mention_id, services.rules) if mention is not None else None
    if mention is None or view is None:
        raise ActionRefused("I can't find that mention any more.")
    if mention.department and mention.department != view.department:
        view = replace(view, department=mention.department, triage=False)  # it was reassigned before
    return mention, view


def _handled(mention: Mention, state: str, user_id: str) -> None:
    mention.state = state
    mention.handled_by = user_id
    mention.handled_at = utcnow()


def _outcome(
    services: Services, mention: Mention, view: CardView, state: str, note: str, *, changed: bool
) -> ActionOutcome:
    assert mention.id is not None
    final = replace(view, state=state, state_note=note, ping="")
    if state == "reassigned" and services.rules.is_restricted(mention.department):
        card = _restricted_stub(final, note)
    else:
        card = render_card(final)
    return ActionOutcome(mention.id, changed, card, note)


def _restricted_stub(view: CardView, note: str) -> dict[str, Any]:
    """The old card once its mention moved to a restricted department: the text must not stay here."""
    text = f"↪️ Mention #{view.mention_id} {note}. Its text is only visible in that channel."
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
