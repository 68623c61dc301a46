"""What a mention's card shows: built from a fresh result, or rebuilt from the database after a click."""

from __future__ import annotations

from bot.context import Services
from bot.domain.result import Result
from bot.domain.routing import Route, decide_route, ping_markup
from bot.domain.rules import RoutingRules
from bot.pipeline.copies import result_from_row
from bot.slack.cards import CardView
from bot.slack.people import People
from bot.store.card_state import get_mention
from bot.store.engine import Session
from bot.store.mentions import latest_classification
from bot.store.models import Mention


def fallback_channel(services: Services, department: str, channel: str) -> str:
    """Where a card goes if `channel` does not exist or is archived: triage, with a note — except for a
    restricted department, whose text must never land in a shared channel ('' = fail and log)."""
    triage = services.channel_id(services.rules.triage_channel)
    return "" if services.rules.is_restricted(department) or triage == channel else triage


def card_view(mention: Mention, result: Result, route: Route, *, people: People | None = None) -> CardView:
    """What the card shows; a Slack-native mention gets its author's name and a link to the message
    from `people`'s cache (filled by `_learn_slack_authors`; no Slack call happens here)."""
    assert mention.id is not None
    author, url = mention.author, mention.url
    if people is not None and mention.slack_channel and mention.slack_ts and not url:
        author = people.display_name(author, fetch=False)
        url = people.permalink(mention.slack_channel, mention.slack_ts)
    return CardView(
        mention_id=mention.id,
        text=mention.text,
        author=author,
        source=mention.source,
        source_name=mention.source_name or "",
        url=url,
        created_at=mention.created_at,
        department=result.department,
        confidence=result.confidence,
        sentiment=result.sentiment,
        urgency=result.urgency,
        language=result.language,
        summary=result.summary,
        topics=result.topics,
        classifier=result.classifier,
        triage=route.triage,
        reason=route.reason if route.triage else result.reason,
        state=mention.state,
        ping=ping_markup(route.ping),
        version=mention.version,
    )


def load_card_view(
    session: Session, mention_id: int, rules: RoutingRules, people: People | None = None
) -> CardView | None:
    """Rebuild a mention's card from the database (for updates after a button click)."""
    mention = get_mention(session, mention_id)
    row = latest_classification(session, mention_id)
    if mention is None or row is None:
        return None
    result = result_from_row(row)
    return card_view(mention, result, decide_route(result, rules), people=people)
