"""The CLI commands: each builds what it needs from settings and returns an exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.domain.settings import Settings


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.runtime import run_http

    port = args.port if args.port is not None else (3001 if args.role == "worker" else 3000)
    return run_http(settings, host=args.host, port=port, role=args.role)


def socket(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.runtime import run_socket

    return run_socket(settings)


def demo(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.demo import run_demo

    return run_demo(settings, sys.stdout)


def classify(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.bootstrap import build_cascade
    from bot.cli.output import print_json_last
    from bot.domain.routing import decide_route
    from bot.domain.rules import load_rules
    from bot.store.engine import make_engine

    rules = load_rules(settings.routing_rules)
    cascade = build_cascade(settings, rules, make_engine(settings.database_url))
    result = cascade.classify(args.text)
    route = decide_route(result, rules)
    if args.json:
        print_json_last(
            {**result.__dict__, "channel": route.channel, "triage": route.triage, "why": route.reason}
        )
        return 0
    print(f"department: {result.department} (confidence {result.confidence:.2f}, by {result.classifier})")
    print(f"sentiment:  {result.sentiment}   urgency: {result.urgency}   language: {result.language}")
    print(f"topics:     {', '.join(result.topics) or '-'}")
    print(f"summary:    {result.summary}")
    print(f"goes to:    {route.channel or 'nowhere (stored, not posted)'} — {route.reason}")
    print(f"why:        {result.reason}")
    return 0


def replay(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.replay import run_replay

    return run_replay(settings, args.file, dry_run=args.dry_run)


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.replay import run_eval

    return run_eval(
        settings,
        args.file,
        classifier=args.classifier,
        as_json=args.json,
        oracle=getattr(args, "oracle", False),
    )


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.engine import make_engine
    from bot.store.migrate import schema_state, upgrade

    engine = make_engine(settings.database_url)
    before = schema_state(engine)
    if args.status:
        where = before.current or "empty"
        print(
            f"schema: {where}; this version needs {before.head}"
            + ("" if before.at_head else " (run migrate)")
        )
        return 0 if before.at_head else 1
    after = upgrade(engine)
    change = (
        "already up to date"
        if before.current == after.current
        else f"upgraded from {before.current or 'empty'}"
    )
    print(f"schema: at {after.current} ({change})")
    return 0


def check(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.bootstrap import make_slack_client
    from bot.app.preflight import slack_identity
    from bot.domain.rules import load_rules
    from bot.domain.yamlpos import line_of, load_with_lines
    from bot.slack.directory import check_channels, describe_loc

    rules = load_rules(settings.routing_rules)  # raises ConfigError listing every problem
    counts = f"{len(rules.departments)} departments, {len(rules.rules)} rules, {len(rules.digests)} digests"
    counts += f", {len(rules.sources)} sources" if rules.sources else ""
    print(f"{settings.routing_rules}: OK ({counts})")
    llm = f"LLM {settings.openai_model} with local fallback"
    print(f"classifier: {llm if settings.llm_enabled else 'local'}")
    from bot.cli.sources import probe_all

    failed_sources = probe_all(rules, settings, sys.stdout)
    if not settings.slack_bot_token:
        print("Slack: SLACK_BOT_TOKEN not set, channels not checked")
        return 1 if failed_sources else 0
    client = make_slack_client(settings)
    identity = slack_identity(client, settings.slack_api_url)
    print(f"Slack: connected as {identity.get('user')} in {identity.get('team')}")
    problems = check_channels(client, rules)
    lines = load_with_lines(settings.routing_rules)[1] if problems else {}
    for loc, problem in problems:
        where = f"{settings.routing_rules}:{line_of(loc, lines)}"
        print(f"{where}: {describe_loc(loc)}: {problem}", file=sys.stderr)
    print("channels: OK" if not problems else f"channels: {len(problems)} problem(s)")
    return 1 if problems or failed_sources else 0


def train(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.classify.retrain import LEASE, LEASE_TTL, lease_holder, train_and_publish
    from bot.domain.clock import utcnow
    from bot.store.engine import init_db, make_engine
    from bot.store.leases import claim_lease, release_lease

    engine = make_engine(settings.database_url)
    init_db(engine)
    previous = _saved_version(settings.model_path)
    holder = lease_holder()  # the same lease as the workers' automatic retraining: one at a time
    if not claim_lease(engine, LEASE, holder, now=utcnow(), ttl=LEASE_TTL):
        print("a worker is retraining the local model right now; try again in a minute", file=sys.stderr)
        return 1
    try:
        done = train_and_publish(engine, settings.model_path, trigger="command")
    finally:
        release_lease(engine, LEASE, holder)
    print(f"trained {done.version} on the seeds plus {done.corrections} corrections → {settings.model_path}")
    print(f"replaces {previous}" if previous else "no earlier model was saved there")
    print("running processes pick the new model up within seconds (other machines: from the database)")
    return 0


def _saved_version(path: Path) -> str:
    """The version of the model saved at `path`, or '' when there is none (or it is unreadable)."""
    from bot.classify.local import LocalClassifier

    try:
        return LocalClassifier.load(path).version if path.exists() else ""
    except Exception:  # a corrupt cache is simply replaced
        return ""


def digest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.bootstrap import build_services
    from bot.reports.digests.send import run_digest_command

    services = build_services(settings, with_slack=not args.dry_run and bool(settings.slack_bot_token))
    return run_digest_command(services, args.name, dry_run=args.dry_run, out=sys.stdout)


def sources(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.sources import backfill, list_sources

    if args.action == "backfill":
        return backfill(settings, args.name, args.since, sys.stdout)
    return list_sources(settings, sys.stdout, as_json=args.json)
