"""`python -m bot sources [backfill NAME --since 7d]` and the per-source probe of `python -m bot check`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from tqdm import tqdm

from bot.app.bootstrap import prepare_database
from bot.domain.clock import utcnow
from bot.domain.errors import ConfigError
from bot.domain.rules import RoutingRules, load_rules, parse_duration
from bot.domain.settings import Settings
from bot.domain.sources import SourceConfig
from bot.intake.sources import SourceHttp, probe_source
from bot.intake.sources.runner import SourcePoller
from bot.store.engine import make_engine
from bot.store.models import SourceCursor
from bot.store.sources import source_states

_COLUMNS = ("name", "type", "every", "last success", "last error", "today")


def list_sources(settings: Settings, out: TextIO, *, as_json: bool = False) -> int:
    """One line per configured source: type, interval, last success, last error, items seen today.
    Exit code 1 when a source's last poll failed, so a cron job or probe can alert on it."""
    rules = load_rules(settings.routing_rules)
    engine = make_engine(settings.database_url)
    prepare_database(settings, engine)
    states = source_states(engine)
    rows = [_row(source, states.get(source.name)) for source in rules.sources]
    if as_json:
        from bot.cli.output import print_json_last

        print_json_last({"sources": rows})
    elif not rows:
        out.write(f"no sources configured in {settings.routing_rules} (see README: sources:)\n")
    else:
        _table(rows, out)
    return 1 if any(row["failing"] for row in rows) else 0


def _row(source: SourceConfig, state: SourceCursor | None) -> dict[str, Any]:
    today = utcnow().strftime("%Y-%m-%d")
    failures = state.consecutive_failures if state else 0
    return {
        "name": source.name,
        "type": source.type,
        "every": source.every,
        "last_success": _when(state.last_success_at if state else None),
        "last_error": _last_error(state) if state and failures else "",
        "failing_since": _when(state.failing_since) if state and failures else "",
        "items_today": state.items_today if state and state.items_day == today else 0,
        "failing": failures > 0,
        "consecutive_failures": failures,
    }


def _last_error(state: SourceCursor) -> str:
    since = f"failing since {_when(state.failing_since)}, " if state.failing_since else ""
    tries = f"{state.consecutive_failures} failed polls"
    return f"{_when(state.last_error_at)}: {state.last_error} ({since}{tries})"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _table(rows: list[dict[str, Any]], out: TextIO) -> None:
    cells = [
        (r["name"], r["type"], r["every"], r["last_success"], r["last_error"] or "-", str(r["items_today"]))
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(_COLUMNS[:4])]
    pad = [w + 2 for w in widths]
    out.write("".join(h.ljust(p) for h, p in zip(_COLUMNS[:4], pad, strict=True)) + "today  last error\n")
    for cell in cells:
        out.write("".join(c.ljust(p) for c, p in zip(cell[:4], pad, strict=True)))
        out.write(f"{cell[5]:>5}  {cell[4]}\n")


def backfill(settings: Settings, name: str, since: str, out: TextIO) -> int:
    """Fetch a source's posts since `since` (e.g. 7d) now and store the new ones; the worker classifies."""
    rules = load_rules(settings.routing_rules)
    config = _named(rules, name)
    try:
        start = utcnow() - parse_duration(since)
    except ValueError as exc:
        raise ConfigError([f"--since: {exc}"]) from None
    engine = make_engine(settings.database_url)
    prepare_database(settings, engine)
    poller = SourcePoller(engine, SourceHttp(credentials=settings.source_credentials), lambda: [config])
    out.write(f"backfilling {name} ({config.type}) since {_when(start)}…\n")
    out.flush()
    try:
        with tqdm(desc=name, unit="item", file=sys.stderr) as bar:

            def advance(stored: int) -> None:
                bar.update(stored)

            outcome = poller.backfill(config, start.replace(tzinfo=UTC), progress=advance)
    finally:
        poller.close()
    if not outcome.ok:
        out.write(f"{name}: failed: {outcome.error}\n")
        return 1
    out.write(f"{name}: fetched {outcome.fetched}, stored {outcome.new} new mention(s)")
    out.write("; a running worker classifies and posts them\n" if outcome.new else "\n")
    return 0


def _named(rules: RoutingRules, name: str) -> SourceConfig:
    for source in rules.sources:
        if source.name == name:
            return source
    known = ", ".join(s.name for s in rules.sources) or "none configured"
    raise ConfigError([f"no source named {name!r} under sources: (known: {known})"])


def probe_all(rules: RoutingRules, settings: Settings, out: TextIO) -> int:
    """One test request per source (`check`): does it answer, and what would it find? Returns failures."""
    if not rules.sources:
        return 0
    http = SourceHttp(credentials=settings.source_credentials, max_attempts=2, max_wait=5.0)
    failures = 0
    try:
        for source in rules.sources:
            result = probe_source(source, http)
            if result.ok:
                kept = len(result.items)
                out.write(f"source {source.name} ({source.type}): OK, {result.fetched} found, {kept} match\n")
            else:
                failures += 1
                out.write(f"source {source.name} ({source.type}): FAILED: {result.error}\n")
    finally:
        http.close()
    return failures
