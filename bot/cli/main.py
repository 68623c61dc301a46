"""Command line: `python -m bot serve|socket|demo|classify|replay|eval|check|train|digest|sources`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dotenv import load_dotenv

from bot.domain.errors import ConfigError, SocialRouterError
from bot.domain.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, read `.env` (the only place that does), run one command; return the exit code."""
    args = build_parser().parse_args(argv)
    load_dotenv(Path.cwd() / ".env", override=False)  # a variable already in the environment wins
    try:
        settings = Settings.from_env()
        _forget_slack_secrets()
        logging.basicConfig(
            level=settings.log_level,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        handler: Handler = args.handler
        return handler(args, settings)
    except ConfigError as exc:
        print(_config_message(exc.problems), file=sys.stderr)
        return 2
    except SocialRouterError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _config_message(problems: list[str]) -> str:
    """One problem: one line (what start-up failures are). Several, e.g. a rules file: one per line."""
    if len(problems) == 1:
        return f"Configuration error: {problems[0]}"
    return "Configuration error:\n  " + "\n  ".join(problems)


def _forget_slack_secrets() -> None:
    """Settings now hold the Slack secrets: take them out of the process environment.

    Bolt's App falls back to os.environ["SLACK_BOT_TOKEN"] when given no `token`, and then warns
    "As you gave `client` as well, `token` will be unused" although we pass only our own client.
    Settings is the one reader of the environment; libraries get what they need explicitly, and
    child processes do not inherit the secrets.
    """
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        os.environ.pop(name, None)


def build_parser() -> argparse.ArgumentParser:
    from bot.cli import commands

    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Social Router: social mentions → Slack teams"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="HTTP mode: /slack/events, /ingest, /readyz, /metrics (+ workers)")
    serve.add_argument("--port", type=int, help="default 3000; 3001 for --role worker (health and metrics)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--role", choices=["all", "web", "worker"], default="all")
    serve.set_defaults(handler=commands.serve)

    sub.add_parser("socket", help="Socket Mode (local development)").set_defaults(handler=commands.socket)
    sub.add_parser("demo", help="the whole pipeline on bundled samples, no accounts").set_defaults(
        handler=commands.demo
    )

    classify = sub.add_parser("classify", help="classify one text and show where it would go")
    classify.add_argument("text")
    classify.add_argument("--json", action="store_true")
    classify.set_defaults(handler=commands.classify)

    replay = sub.add_parser("replay", help="backfill mentions from a JSONL or CSV file")
    replay.add_argument("file", type=Path)
    replay.add_argument("--dry-run", action="store_true", help="classify and show routes, store nothing")
    replay.set_defaults(handler=commands.replay)

    evaluate = sub.add_parser("eval", help="accuracy and macro-F1 on a labeled JSONL file")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--classifier", choices=["local", "llm", "cascade"], default="cascade")
    evaluate.add_argument(
        "--oracle",
        action="store_true",
        help="also simulate the cascade with a perfect LLM (gold labels) over a sweep of thresholds",
    )
    evaluate.set_defaults(handler=commands.evaluate)

    migrate = sub.add_parser("migrate", help="upgrade the database schema to this version (Alembic)")
    migrate.add_argument("--status", action="store_true", help="show where the schema is, change nothing")
    migrate.set_defaults(handler=commands.migrate)

    sub.add_parser(
        "check", help="validate configuration (Slack channels, one request per source)"
    ).set_defaults(handler=commands.check)
    sub.add_parser("train", help="retrain the local model with stored corrections").set_defaults(
        handler=commands.train
    )

    sources = sub.add_parser("sources", help="built-in listeners: status, or `backfill NAME --since 7d`")
    sources.add_argument("--json", action="store_true")
    sources.set_defaults(handler=commands.sources, action=None)
    actions = sources.add_subparsers(dest="action", metavar="ACTION")
    backfill = actions.add_parser("backfill", help="fetch a source's posts since --since, now")
    backfill.add_argument("name")
    backfill.add_argument("--since", default="7d", help="how far back: 30m, 24h, 7d, 2w (default 7d)")

    digest = sub.add_parser("digest", help="build a digest from routing_rules.yaml and send it")
    digest.add_argument("name")
    digest.add_argument("--dry-run", action="store_true", help="print it and write the chart, send nothing")
    digest.set_defaults(handler=commands.digest)
    return parser
