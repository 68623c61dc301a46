"""Backfills and measurement: `replay FILE [--dry-run]` and `eval FILE`."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.app.bootstrap import build_cascade, build_llm, build_services
from bot.domain.errors import ConfigError, InvalidMention
from bot.domain.result import Result
from bot.domain.routing import decide_route
from bot.domain.rules import load_rules
from bot.domain.settings import Settings
from bot.intake.incoming import from_record
from bot.pipeline.process import process_mention
from bot.store.engine import make_engine
from bot.store.mentions import store_mention


def read_records(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, record) from a JSONL or CSV file; a bad JSON line yields an InvalidMention."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, row
            return
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, InvalidMention(f"not JSON: {exc.msg}")


def run_replay(settings: Settings, path: Path, *, dry_run: bool) -> int:
    """Store, classify and route each record (the worker posts the cards); --dry-run stores nothing."""
    if not path.exists():
        raise ConfigError([f"{path}: no such file"])
    records = list(read_records(path))
    if dry_run:
        return _dry_run(settings, path, records)
    services = build_services(settings, with_slack=False)
    counts: Counter[str] = Counter()
    for number, record in tqdm(records, desc="replay", unit="mention", file=sys.stderr):
        try:
            outcome = store_mention(services.engine, from_record(_checked(record), origin="replay"))
        except InvalidMention as exc:
            counts["invalid"] += 1
            print(f"{path}:{number}: skipped: {exc}", file=sys.stderr)
            continue
        counts["duplicate" if outcome.duplicate else "stored"] += 1
        if not outcome.duplicate and outcome.mention_id is not None:
            route = process_mention(services, outcome.mention_id)
            counts[f"→ {route.channel or 'not posted'}" if route else "→ already processed"] += 1
    print(", ".join(f"{key}: {value}" for key, value in sorted(counts.items())))
    print("cards are in the outbox: a running `python -m bot serve` (or worker) posts them.")
    return _invalid_exit(path, counts["invalid"])


def _invalid_exit(path: Path, invalid: int) -> int:
    """Exit 1 when any line was invalid, so a script or CI notices; stderr says how many."""
    if not invalid:
        return 0
    print(f"{path}: {invalid} invalid line{'s' * (invalid != 1)} skipped (listed above)", file=sys.stderr)
    return 1


def _checked(record: Any) -> Any:
    if isinstance(record, InvalidMention):
        raise record
    return record


def _dry_run(settings: Settings, path: Path, records: list[tuple[int, Any]]) -> int:
    rules = load_rules(settings.routing_rules)
    cascade = build_cascade(settings, rules, make_engine(settings.database_url))
    invalid = 0
    for number, record in records:
        try:
            mention = from_record(_checked(record), origin="replay")
        except InvalidMention as exc:
            print(f"line {number}: invalid: {exc}")
            invalid += 1
            continue
        result = cascade.classify(mention.text, source=mention.source, author=mention.author)
        route = decide_route(result, rules)
        where = route.channel or "not posted"
        print(f"line {number}: {result.department} {result.confidence:.2f} ({result.classifier}) → {where}")
    return _invalid_exit(path, invalid)


def run_eval(settings: Settings, path: Path, *, classifier: str, as_json: bool, oracle: bool = False) -> int:
    """Measure on a labelled file; `oracle` adds the perfect-LLM cascade curve of the local model."""
    from bot.classify.evaluation import evaluate, format_report, load_labeled, report_json
    from bot.cli.output import print_json_last

    examples = load_labeled(path)
    report = evaluate(_predictor(settings, classifier), examples)
    data = report_json(report)
    text = format_report(report)
    if oracle:
        from bot.classify.oracle_eval import oracle_curve

        curve_text, data["oracle"] = oracle_curve(settings, examples)
        text += "\n\n" + curve_text
    if as_json:
        print_json_last(data)
    else:
        print(text)
    return 0


def _predictor(settings: Settings, name: str) -> Callable[[str], Result]:
    """The classify function `eval` measures: the local model, the LLM alone, or the whole cascade."""
    if name == "local":
        from bot.classify.local import load_or_train

        return load_or_train(settings.model_path).classify
    if name == "llm":
        settings.require("OPENAI_API_KEY")
        return build_llm(settings, load_rules(settings.routing_rules)).classify
    rules = load_rules(settings.routing_rules)
    return build_cascade(settings, rules, make_engine(settings.database_url)).classify
