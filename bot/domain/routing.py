"""Where a classified mention goes: department channel, triage, or nowhere; and who gets pinged."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.result import Result
from bot.domain.rules import RoutingRules

_URGENCY_RANK = {"low": 0, "normal": 1, "high": 2}
ESCALATE_DEPARTMENT_CONFIDENCE = 0.8  # the ping goes to this department: be sure it is theirs
# "strongly negative" means a calibrated sentiment probability this high: on public reviews and tweets
# (sentiment-dev) 80 of the local model's 87 such calls were real complaints and 2 were praise
ESCALATE_SENTIMENT_CONFIDENCE = 0.75


@dataclass(frozen=True)
class Route:
    """The routing decision for one mention."""

    department: str  # the classified department ("none" included)
    channel: str | None  # None: stored and counted, not posted
    # True when a human must decide (low confidence or no channel configured); the card says "Needs
    # triage". Usually in triage_channel, but a restricted department's unsure mention stays in its own.
    triage: bool
    ping: tuple[str, ...] = ()  # escalation targets (user IDs, user groups, here/channel)
    reason: str = ""


def decide_route(result: Result, rules: RoutingRules) -> Route:
    """Pure routing decision following routing_rules.yaml."""
    if result.confidence < rules.min_confidence:
        reason = f"confidence {result.confidence:.2f} below min_confidence {rules.min_confidence:.2f}"
        restricted = rules.channel_for(result.department) if rules.is_restricted(result.department) else None
        if restricted is not None:
            # Restricted wins over triage: the text must not show in the shared triage channel, so it
            # goes to its own department's channel marked as unsure, where that team can reassign it.
            reason += "; restricted department, so triaged in its own channel"
            return Route(result.department, restricted, triage=True, reason=reason)
        return Route(result.department, rules.triage_channel, triage=True, reason=reason)
    if result.department == "none":
        return Route("none", None, triage=False, reason="not actionable: stored, not posted")
    config = rules.departments.get(result.department)  # type: ignore[call-overload]
    if config is None:
        reason = f"no channel configured for {result.department}"
        return Route(result.department, rules.triage_channel, triage=True, reason=reason)
    ping = tuple(config.escalate.ping) if config.escalate and _escalates(result, config.escalate) else ()
    return Route(
        result.department, config.channel, triage=False, ping=ping, reason="routed by classification"
    )


def _escalates(result: Result, escalate: object) -> bool:
    urgency = getattr(escalate, "urgency", None)
    sentiment = getattr(escalate, "sentiment", None)
    urgent = urgency is not None and _URGENCY_RANK[result.urgency] >= _URGENCY_RANK[urgency]
    # "strongly negative": the sentiment matches, and the classifier is sure of it and of the department
    negative = (
        sentiment is not None
        and result.sentiment == sentiment
        and result.sentiment_confidence >= ESCALATE_SENTIMENT_CONFIDENCE
        and result.confidence >= ESCALATE_DEPARTMENT_CONFIDENCE
    )
    return urgent or negative


def ping_markup(targets: tuple[str, ...]) -> str:
    """Slack markup that pings the escalation targets (this is the only place the bot pings)."""
    parts = []
    for target in targets:
        if target in ("here", "channel"):
            parts.append(f"<!{target}>")
        elif target.startswith("S"):
            parts.append(f"<!subteam^{target}>")
        else:
            parts.append(f"<@{target}>")
    return " ".join(parts)
