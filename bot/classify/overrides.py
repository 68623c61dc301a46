"""Deterministic `rules:` overrides from routing_rules.yaml, evaluated before any model."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bot.domain.rules import OverrideRule


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _keyword_hit(rule: OverrideRule, folded: str) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(k.casefold())}(?!\w)", folded) for k in rule.keywords)


def rule_matches(rule: OverrideRule, text: str, source: str = "", author: str = "") -> bool:
    """Every condition group the rule lists must match; within a group, any value matches."""
    folded = text.casefold()
    checks = []
    if rule.keywords:
        checks.append(_keyword_hit(rule, folded))
    if rule.regex:
        checks.append(bool(_compiled(rule.regex).search(text)))
    if rule.source:
        checks.append(source.casefold() in {s.casefold() for s in rule.source})
    if rule.author:
        checks.append(author.casefold().lstrip("@") in {a.casefold().lstrip("@") for a in rule.author})
    return bool(checks) and all(checks)


def first_match(
    rules: Sequence[OverrideRule], text: str, source: str = "", author: str = ""
) -> OverrideRule | None:
    """The first rule (in file order) that matches, or None."""
    return next((rule for rule in rules if rule_matches(rule, text, source, author)), None)


def describe(rule: OverrideRule, index: int) -> str:
    return f"rules[{index}]" + (f" '{rule.name}'" if rule.name else "")
