"""`python -m bot demo`: the real pipeline on embedded defaults, with Slack rendered to the terminal."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from bot.app.bootstrap import build_services
from bot.context import Services
from bot.delivery.terminal import TerminalSender
from bot.delivery.worker import DeliveryWorker
from bot.domain.settings import Settings
from bot.domain.sources import SourceConfig
from bot.intake.incoming import from_record
from bot.intake.sources.http import SourceHttp
from bot.intake.sources.runner import SourcePoller
from bot.pipeline.worker import ClassificationWorker
from bot.store.mentions import store_mention
from bot.store.totals import totals

DEMO_DB = Path(".cache/demo.db")


def sample_records() -> list[dict[str, Any]]:
    """The bundled sample mentions (written by the project, several languages)."""
    raw = resources.files("bot").joinpath("samples/demo_mentions.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def run_demo(settings: Settings, out: TextIO) -> int:
    """Store every sample, classify with the local model, drain the outbox to the terminal, summarise."""
    DEMO_DB.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    settings = replace(settings, database_url=f"sqlite:///{DEMO_DB}", openai_api_key=None)
    out.write(
        "Social Router demo: SQLite, local classifier, bundled sample mentions and a sample feed "
        "(no Slack, no OpenAI, no network)\n"
    )
    out.write("Training or loading the local model…\n")
    out.flush()
    services = build_services(settings, with_slack=False, use_llm=False)
    records = sample_records()
    stored = sum(not store_mention(services.engine, from_record(r, origin="demo")).duplicate for r in records)
    stored += _poll_sample_feed(services, out)
    _drain(services, TerminalSender(out, color=out.isatty()))
    out.write(summary(services, stored))
    return 0


def _poll_sample_feed(services: Services, out: TextIO) -> int:
    """A built-in listener at work, offline: one poll of a `feed` source reading the bundled feed file."""
    with resources.as_file(resources.files("bot").joinpath("samples/feed.xml")) as path:
        source = SourceConfig(name="demo-feed", type="feed", url=Path(path).resolve().as_uri(), every="30m")
        poller = SourcePoller(services.engine, SourceHttp(), lambda: [source])
        try:
            outcomes = poller.run_once()
        finally:
            poller.close()
    new = sum(outcome.new for outcome in outcomes)
    errors = [outcome.error for outcome in outcomes if outcome.error]
    where = f"sources: demo-feed (type feed, {source.url})"
    out.write(f"Polled {where}: {new} new items" + (f", error: {errors[0]}" if errors else "") + "\n")
    return new


def _drain(services: Services, sender: TerminalSender) -> None:
    classifier = ClassificationWorker(services, threads=2)
    delivery = DeliveryWorker(services.engine, sender, min_interval=0)
    try:
        while classifier.run_once():
            pass
    finally:
        classifier.close()
    while delivery.run_once():
        pass


def summary(services: Services, stored: int) -> str:
    """A per-department table: mentions, cards posted, and the sentiment split."""
    counted = totals(services.engine)
    per_dept, split, posted = counted.mentions, counted.sentiment, counted.posted
    lines = ["", f"Summary: {stored} mentions stored and classified", ""]
    lines.append(f"{'department':<12}{'mentions':>9}  {'negative':>8} {'neutral':>8} {'positive':>8}")
    for dept in (*services.rules.departments, "none"):
        moods = split.get(dept, {})
        row = f"{dept:<12}{per_dept.get(dept, 0):>9}  "
        lines.append(row + " ".join(f"{moods.get(m, 0):>8}" for m in ("negative", "neutral", "positive")))
    lines.append("")
    lines.append("messages per channel: " + ", ".join(f"{c} {n}" for c, n in sorted(posted.items())))
    lines.append("'none' mentions are stored and counted, never posted; low-confidence ones wait in triage.")
    return "\n".join(lines) + "\n"
