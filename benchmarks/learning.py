"""Benchmark: macro-F1 before and after the local model learns from human corrections, automatically.

Usage: python -m benchmarks.learning [--share 0.5] [--after 20] [--data PATH]
The labelled dev set is only measured on, never shipped: it is split deterministically into two disjoint
halves by a hash of each text. Half A is classified by the seed-trained model; a share of its errors is
"corrected" (the gold label, as a person clicking Reassign would give) one by one through the store
function the card buttons use, into a throwaway SQLite database. After each correction the worker's
`Retrainer.run_once()` runs — the same trigger, lease, training and hot reload as `serve` — so the
model retrains every `--after` corrections; the remainder is learnt by the nightly run. Macro-F1 on
half B is reported before and after each retraining. Everything lives in a temporary directory that
is deleted at the end: the shipped model is never trained on dev.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # `python benchmarks/learning.py` measures this checkout's code

from sqlalchemy.engine import Engine  # noqa: E402

from bot.classify.corrections import record_correction  # noqa: E402
from bot.classify.evaluation import LabeledExample, evaluate, load_labeled  # noqa: E402
from bot.classify.local import LocalClassifier, ReloadingLocalClassifier  # noqa: E402
from bot.classify.retrain import Retrained, Retrainer  # noqa: E402
from bot.domain.settings import DEFAULT_RETRAIN_AFTER  # noqa: E402
from bot.domain.text import text_hash  # noqa: E402
from bot.store.engine import init_db, make_engine, session_scope  # noqa: E402
from bot.store.models import Mention  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared/data/dev.jsonl"
Examples = list[LabeledExample]
Step = dict[str, Any]


def split(examples: list[LabeledExample]) -> tuple[list[LabeledExample], list[LabeledExample]]:
    """Disjoint halves, stable across runs and machines (hash of the text, not list order)."""
    half_a: list[LabeledExample] = []
    half_b: list[LabeledExample] = []
    for example in examples:
        bucket = hashlib.sha256(example.text.encode("utf-8")).digest()[0] % 2
        (half_a if bucket == 0 else half_b).append(example)
    return half_a, half_b


def corrections_for(
    model: LocalClassifier, examples: list[LabeledExample], share: float, seed: int = 13
) -> list[tuple[str, str, str]]:
    """(text, what the model said, gold) for `share` of its errors on `examples`, as people correct them."""
    errors: list[tuple[str, str, str]] = []
    for example in examples:
        said = model.classify(example.text).department
        if example.department is not None and said != example.department:
            errors.append((example.text, said, example.department))
    rng = random.Random(seed)
    rng.shuffle(errors)
    return errors[: round(len(errors) * share)]


def correct(engine: Engine, number: int, text: str, said: str, gold: str) -> None:
    """Store the routed mention, then the person's correction (bot.classify.corrections)."""
    with session_scope(engine) as session:
        mention = Mention(
            source_id=f"learning:{number}",
            origin="replay",
            text=text,
            text_hash=text_hash(text),
            status="routed",
            department=said,
        )
        session.add(mention)
        session.flush()
        record_correction(session, mention, gold, "benchmark")
        mention.department = gold


def _step(done: Retrained, corrected: int, local: ReloadingLocalClassifier, half_b: Examples) -> Step:
    report = evaluate(local.classify, half_b)
    print(
        f"  after {corrected:3d} corrections: retrained ({done.trigger}) {done.version}"
        f" in {done.seconds:.1f}s → half B macro-F1 {report.macro_f1:.3f}, accuracy {report.accuracy:.3f}"
    )
    return {
        "corrections": corrected,
        "trigger": done.trigger,
        "version": done.version,
        "seconds": round(done.seconds, 1),
        "macro_f1": round(report.macro_f1, 4),
        "accuracy": round(report.accuracy, 4),
    }


def learn(half_a: Examples, half_b: Examples, share: float, after: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="learning-") as scratch:
        engine = make_engine(f"sqlite:///{scratch}/learning.db")
        init_db(engine)
        local = ReloadingLocalClassifier(Path(scratch) / "model.joblib")  # trains from the seeds here
        before = evaluate(local.classify, half_b)
        corrections = corrections_for(local.model, half_a, share)
        print(f"half A: {len(half_a)} mentions, {len(corrections)} corrections ({share:.0%} of its errors)")
        print(f"half B ({before.n} mentions): macro-F1 {before.macro_f1:.3f}, accuracy {before.accuracy:.3f}")
        retrainer = Retrainer(engine, local, after=after)
        steps = []
        for number, (text, said, gold) in enumerate(corrections, 1):
            correct(engine, number, text, said, gold)
            done = retrainer.run_once()  # what the worker thread does on each tick
            if done is not None:
                steps.append(_step(done, number, local, half_b))
        retrainer.request_nightly()  # the remainder, below the threshold, is learnt overnight
        done = retrainer.run_once()
        if done is not None:
            steps.append(_step(done, len(corrections), local, half_b))
        after_report = evaluate(local.classify, half_b)
        engine.dispose()
    return {
        "n": before.n,
        "corrections": len(corrections),
        "retrains": steps,
        "macro_f1_before": round(before.macro_f1, 4),
        "macro_f1_after": round(after_report.macro_f1, 4),
        "accuracy_before": round(before.accuracy, 4),
        "accuracy_after": round(after_report.accuracy, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--share", type=float, default=0.5, help="share of half A's errors that get corrected"
    )
    parser.add_argument(
        "--after", type=int, default=DEFAULT_RETRAIN_AFTER, help="RETRAIN_AFTER_CORRECTIONS for this run"
    )
    args = parser.parse_args(argv)
    half_a, half_b = split(load_labeled(args.data))
    summary = learn(half_a, half_b, args.share, args.after)
    print(
        f"half B: macro-F1 {summary['macro_f1_before']:.3f} → {summary['macro_f1_after']:.3f}, "
        f"accuracy {summary['accuracy_before']:.3f} → {summary['accuracy_after']:.3f} "
        f"after {len(summary['retrains'])} automatic retraining(s)"
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
