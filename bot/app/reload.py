"""Reload the rules file all or nothing: validate it, derive everything from it, then swap it in at once."""

from __future__ import annotations

import logging
from types import MappingProxyType

from slack_sdk.errors import SlackClientError

from bot.app.bootstrap import resolve_rule_channels
from bot.classify.cascade import Cascade
from bot.classify.llm import LLMClassifier
from bot.context import Config, Services
from bot.domain.errors import SocialRouterError
from bot.domain.rules import RoutingRules, load_rules

log = logging.getLogger(__name__)


def derive_config(services: Services, rules: RoutingRules) -> Config:
    """A whole new `Config` for `rules`: the cascade's overrides and LLM descriptions, and channel IDs."""
    old = services.config.current.cascade
    llm = old.llm
    if isinstance(llm, LLMClassifier):
        llm = llm.with_descriptions({name: d.description for name, d in rules.departments.items()})
    cascade = Cascade(rules, old.local, llm, few_shots=old.few_shots, local_confident=old.local_confident)
    channels = resolve_rule_channels(services.slack, rules) if services.slack is not None else {}
    return Config(rules, cascade, MappingProxyType(channels))


def reload_rules(services: Services) -> bool:
    """SIGHUP: swap in the rules file for every reader, or keep the old one and log why. True if swapped."""
    path = services.settings.routing_rules
    try:
        config = derive_config(services, load_rules(path))
    except (SocialRouterError, SlackClientError, OSError) as exc:  # invalid file, or Slack unreachable
        log.error("reload: %s not reloaded, keeping the previous rules: %s", path, exc)
        return False
    services.config.swap(config)
    log.info("reload: %s is now in effect for routing, overrides, visibility and the schedule", path)
    return True
