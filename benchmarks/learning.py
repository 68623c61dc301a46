"""Benchmark: macro-F1 before and after the local model learns from human corrections.

Usage: python -m benchmarks.learning [--share 0.5] [--data PATH]
The labelled dev set is only measured on, never shipped: it is split deterministically into two disjoint
halves by a hash of each text. Half A is classified by the seed-trained model; a share of its errors is
"corrected" (the gold label, as a person clicking Reassign would give); the model is retrained in memory
on seeds + those corrections; macro-F1 is reported on half B before and after. Nothing is saved.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

from bot.classify.evaluation import LabeledExample, evaluate, load_labeled
from bot.classify.local import LocalClassifier

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/dev.jsonl"


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
) -> list[tuple[str, str]]:
    """The gold label for `share` of the model's errors on `examples` (as people would correct them)."""
    errors = [(e.text, e.department) for e in examples if model.classify(e.text).department != e.department]
    rng = random.Random(seed)
    rng.shuffle(errors)
    return errors[: round(len(errors) * share)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--share", type=float, default=0.5, help="share of half A's errors that get corrected"
    )
    args = parser.parse_args(argv)
    half_a, half_b = split(load_labeled(args.data))
    before_model = LocalClassifier.train()
    corrections = corrections_for(before_model, half_a, args.share)
    after_model = LocalClassifier.train(extra=corrections)  # in memory only: never saved
    before = evaluate(before_model.classify, half_b)
    after = evaluate(after_model.classify, half_b)
    print(
        f"half A: {len(half_a)} mentions, {len(corrections)} corrections applied ({args.share:.0%} of errors)"
    )
    print(
        f"half B ({before.n} mentions): macro-F1 {before.macro_f1:.3f} → {after.macro_f1:.3f}, "
        f"accuracy {before.accuracy:.3f} → {after.accuracy:.3f}"
    )
    summary = {
        "n": before.n,
        "corrections": len(corrections),
        "macro_f1_before": round(before.macro_f1, 4),
        "macro_f1_after": round(after.macro_f1, 4),
        "accuracy_before": round(before.accuracy, 4),
        "accuracy_after": round(after.accuracy, 4),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
