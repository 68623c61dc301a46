"""`/insights route`: a dry run of the cascade and the routing decision for a text; nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass

from bot.classify.cascade import Cascade
from bot.domain.result import Result
from bot.domain.routing import Route, decide_route
from bot.domain.rules import RoutingRules


@dataclass(frozen=True)
class DryRun:
    text: str
    result: Result
    route: Route


def dry_run(cascade: Cascade, rules: RoutingRules, text: str) -> DryRun:
    """How `text` would be classified, by which classifier and why, and where it would go."""
    result = cascade.classify(text)
    return DryRun(text, result, decide_route(result, rules))
