"""Answer one /insights request: parse, query, apply visibility, render. No Slack listener code."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.context import Services
from bot.domain.clock import utcnow
from bot.domain.errors import ClassifierUnavailable
from bot.reports.insights import render
from bot.reports.insights.ask import ask
from bot.reports.insights.parse import Command, UsageError, parse_command
from bot.reports.insights.route import dry_run
from bot.reports.insights.search import search_mentions
from bot.reports.insights.stats import compute_stats
from bot.reports.insights.top import top_mentions
from bot.reports.visibility import Visibility

log = logging.getLogger(__name__)
FAST = ("help",)  # answered inside the acknowledgement; the rest go through response_url


def parse(services: Services, text: str) -> Command:
    return parse_command(text, tuple(services.rules.departments))


def answer(
    services: Services, visibility: Visibility, user_id: str, command: Command, *, now: datetime | None = None
) -> render.Message:
    """The ephemeral answer to an already parsed command."""
    now = now or utcnow()
    departments: tuple[str, ...] = tuple(services.rules.departments)
    visible = visibility.visible_departments(user_id, list(departments))
    if command.name == "help":
        return render.render_help(departments)
    if command.name == "stats":
        chosen = (command.department,) if command.department else departments
        stats = compute_stats(
            services.engine,
            period=command.period,
            window=command.window,
            now=now,
            departments=chosen,
            topics_from=visible & set(chosen),
        )
        return render.render_stats(stats)
    if command.name == "top":
        return _top(services, command, visible, now)
    if command.name == "search":
        result = search_mentions(services.engine, command.query, visible=visible)
        hidden: dict[str, str] = {d: _channel(services, d) for d in departments if d not in visible}
        return render.render_search(result, hidden)
    if command.name == "ask":
        return _ask(services, command.query, visible)
    if command.name == "route":
        run = dry_run(services.cascade, services.rules, command.query)
        channel = f"<#{services.channel_id(run.route.channel)}>" if run.route.channel else ""
        return render.render_route(run, channel)
    return _digest(services, command, visible, now)


def answer_text(services: Services, visibility: Visibility, user_id: str, text: str) -> render.Message:
    """Parse and answer in one go, turning usage errors into a friendly message."""
    try:
        return answer(services, visibility, user_id, parse(services, text))
    except UsageError as exc:
        return render.render_error(str(exc))


def _top(services: Services, command: Command, visible: set[str], now: datetime) -> render.Message:
    assert command.department is not None
    rows, total = top_mentions(services.engine, command.department, window=command.window, now=now)
    can_see = command.department in visible
    return render.render_top(
        command.department,
        command.period,
        rows if can_see else [],
        total,
        can_see,
        _channel(services, command.department),
    )


def _ask(services: Services, question: str, visible: set[str]) -> render.Message:
    if not services.settings.llm_enabled:
        return render.render_no_llm()
    from bot.classify.llm_client import make_openai_client

    client = make_openai_client(services.settings)
    try:
        result = ask(
            client,
            services.settings.openai_model,
            services.engine,
            question,
            visible,
            deadline=services.settings.llm_deadline,
            limiter=services.cascade.llm_limiter,
        )
    except ClassifierUnavailable as exc:
        log.warning("ask failed: %s", exc)
        return render.render_error("The LLM did not answer just now. Please try again in a minute.")
    return render.render_answer(result)


def _digest(services: Services, command: Command, visible: set[str], now: datetime) -> render.Message:
    try:
        from bot.reports.digests.compose import build_digest
        from bot.reports.digests.render import render_digest
    except ImportError:
        return render.render_digest_unavailable()
    departments = [command.department] if command.department else list(services.rules.departments)
    data = build_digest(
        services.engine,
        services.rules,
        departments=departments,
        period=timedelta(days=7),
        now=now,
        show_texts_for=lambda dept: dept in visible,
        title="Digest (on demand)",
    )
    rendered = render_digest(data)
    return {"response_type": "ephemeral", "text": rendered["text"], "blocks": rendered["blocks"]}


def _channel(services: Services, department: str) -> str:
    return services.channel_id(services.rules.channel_for(department) or "")
