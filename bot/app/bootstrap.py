"""Builds the Services object from settings: database, rules, classifiers and the Slack client."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.app.preflight import slack_identity, with_database
from bot.classify.cascade import Cascade
from bot.classify.local import ReloadingLocalClassifier
from bot.context import Services
from bot.domain.errors import ConfigError
from bot.domain.rules import RoutingRules, load_rules
from bot.domain.settings import Settings
from bot.slack.directory import resolve_channel_names, rule_channels
from bot.store.engine import Engine, make_engine
from bot.store.migrate import schema_state, upgrade

if TYPE_CHECKING:
    from bot.classify.llm import LLMClassifier

log = logging.getLogger(__name__)


def build_cascade(
    settings: Settings, rules: RoutingRules, engine: Engine, *, use_llm: bool = True
) -> Cascade:
    """The classification cascade; the LLM joins only when an API key is configured."""
    local = ReloadingLocalClassifier(settings.model_path)
    if not (use_llm and settings.llm_enabled):
        return Cascade(rules, local, local_confident=settings.local_confident)
    from bot.classify.corrections import few_shots_for

    few_shots = partial(few_shots_for, engine)
    llm = build_llm(settings, rules)
    return Cascade(rules, local, llm, few_shots=few_shots, local_confident=settings.local_confident)


def build_llm(settings: Settings, rules: RoutingRules) -> LLMClassifier:
    """The LLM classifier, told each department's `description` from the rules file."""
    # imported here so that the openai SDK loads only when an LLM is configured
    from bot.classify.limiter import LLMLimiter
    from bot.classify.llm import LLMClassifier
    from bot.classify.llm_client import make_openai_client

    descriptions: dict[str, str] = {name: d.description for name, d in rules.departments.items()}
    limiter = LLMLimiter(settings.llm_concurrency)  # one per process: every LLM call shares its 429 pause
    return LLMClassifier(
        make_openai_client(settings),
        settings.openai_model,
        descriptions,
        deadline=settings.llm_deadline,
        limiter=limiter,
    )


def make_slack_client(settings: Settings) -> WebClient:
    """The one WebClient. It has no rate-limit retry handler: the outbox alone waits out 429s."""
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=15)


def build_services(settings: Settings, *, with_slack: bool, use_llm: bool = True) -> Services:
    """Everything a command needs. With Slack: checks the token and resolves '#channel' names once."""
    rules = load_rules(settings.routing_rules)
    engine = make_engine(settings.database_url)
    with_database(settings.database_url, lambda: prepare_database(settings, engine))
    cascade = build_cascade(settings, rules, engine, use_llm=use_llm)
    if not with_slack:
        return Services.create(settings, rules, engine, cascade)
    settings.require("SLACK_BOT_TOKEN")
    return connect_slack(settings, rules, engine, cascade, make_slack_client(settings))


def prepare_database(settings: Settings, engine: Engine) -> None:
    """Apply pending migrations (AUTO_MIGRATE, the default), or refuse to run on an old schema."""
    if settings.auto_migrate:
        upgrade(engine)
        return
    state = schema_state(engine)
    if not state.at_head:
        raise ConfigError(
            [
                f"DATABASE_URL: the schema is at {state.current or 'nothing (empty database)'}, this "
                f"version needs {state.head}; run `python -m bot migrate` (AUTO_MIGRATE is off)"
            ]
        )


def connect_slack(
    settings: Settings, rules: RoutingRules, engine: Engine, cascade: Cascade, client: WebClient
) -> Services:
    """Services connected to Slack: who the bot is, and channel IDs for '#names' in the rules file."""
    identity = slack_identity(client, settings.slack_api_url)
    return Services.create(
        settings,
        rules,
        engine,
        cascade,
        slack=client,
        bot_user_id=str(identity.get("user_id") or ""),
        bot_id=str(identity.get("bot_id") or ""),
        workspace_url=str(identity.get("url") or ""),
        channels=resolve_rule_channels(client, rules),
    )


def resolve_rule_channels(client: WebClient, rules: RoutingRules) -> dict[str, str]:
    """'#name' → ID for every channel the rules file names; names Slack does not know are logged."""
    wanted = list(rule_channels(rules).values())
    channels = resolve_channel_names(client, wanted)
    missing = [c for c in wanted if c not in channels]
    if missing:
        log.warning("channels not found in Slack (run `python -m bot check`): %s", ", ".join(missing))
    return channels
