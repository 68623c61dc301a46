"""Seed cross-validation of the sentiment head: how sentiment choices are made without dev.

Run: `.venv/bin/python benchmarks/sentiment_cv.py [--weights balanced|none] [--target 0.03]`.
Every figure comes from the bundled seeds only: 5 folds (vectorizer inside each fold), each held-out
seed scored as written and as a noisy copy. The temperature and the negative floors are fitted as
the product fits them (pooled shuffles 0-2, one floor per seed language) and measured on other
shuffles (3, 4…: other folds, other noise), so a floor is not judged on the predictions it was
chosen on. `--global-floor` measures one floor for all languages instead. Prints macro-F1, per-class
recall, the share of positives called negative, and macro-F1 per seed language.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import FeatureUnion  # noqa: E402

from bot.classify import calibration, sentiment_cues, training  # noqa: E402
from bot.classify.calibration import (  # noqa: E402
    Head,
    fit_temperature,
    negative_floor,
    negative_floors,
    out_of_fold,
    pooled,
)
from bot.classify.features import build_vectorizer, softmax  # noqa: E402
from bot.classify.sentiment import sentiment_label  # noqa: E402
from bot.classify.sentiment_eval import sentiment_report  # noqa: E402


def _model(weights: str, c: float) -> LogisticRegression:
    balance = "balanced" if weights == "balanced" else None
    return LogisticRegression(C=c, solver="newton-cg", max_iter=200, class_weight=balance)


def _vectorizer(cue_scale: float) -> Callable[[], FeatureUnion]:
    """The product's vectorizer, its cue block weighted by `cue_scale` (in fit and transform alike)."""

    def make() -> FeatureUnion:
        union = build_vectorizer()
        union.set_params(transformer_weights={"cues": cue_scale})
        return union

    return make


def run(args: argparse.Namespace, skip: set[str]) -> None:
    weights, target, c, repeats = args.weights, args.target, args.c, args.repeats
    cue_scale, one, copies = args.cue_scale, args.global_floor, args.copies
    seeds = training.seed_examples()
    texts = [row["text"] for row in seeds]
    gold = [row["sentiment"] for row in seeds]
    langs = [row["lang"] for row in seeds] * (1 + 1)  # clean + one noisy copy
    head = Head(gold, None, lambda: _model(weights, c), copies=copies)
    shuffles = training.CALIBRATION_SHUFFLES
    fit = pooled([out_of_fold(texts, [head], _vectorizer(cue_scale), seed=s) for s in range(shuffles)])
    temperature = fit_temperature(fit.logits[0], fit.gold[0])
    classes = fit.classes[0]
    probs = softmax(fit.logits[0], temperature)
    floors = negative_floors(probs, fit.gold[0], classes, langs * shuffles, target)
    if one:
        floors = dict.fromkeys(floors, negative_floor(probs, fit.gold[0], classes, target))
    predicted, truth = [], []
    for repeat in range(shuffles, shuffles + repeats):  # pooled over shuffles: one split is a noisy judge
        test = out_of_fold(texts, [head], _vectorizer(cue_scale), seed=repeat)
        rows = softmax(test.logits[0], temperature)
        predicted += [
            sentiment_label(classes, row, floors[lang])[0] for row, lang in zip(rows, langs, strict=True)
        ]
        truth += [classes[i] for i in test.gold[0]]
    langs *= repeats
    keep = [i for i, text in enumerate(texts * 2 * repeats) if text not in skip]  # judged on these only
    truth, predicted, langs = [truth[i] for i in keep], [predicted[i] for i in keep], [langs[i] for i in keep]
    report = sentiment_report(truth, predicted)
    recalls = " ".join(f"{k[:3]}={m.recall:.3f}" for k, m in report.per_class.items())
    print(
        f"n={len(seeds)} judged={len(keep)} cues={sentiment_cues.COMPLAINT_CUES} scale={cue_scale} "
        f"weights={weights} C={c} copies={copies} target={target} T={temperature} floors={floors}\n"
        f"  macro-F1={report.macro_f1:.3f} {recalls} pos->neg={report.positive_as_negative:.3f}"
    )
    per_lang = []
    for lang in sorted(set(langs)):
        rows_of = [i for i, code in enumerate(langs) if code == lang]
        sub = sentiment_report([truth[i] for i in rows_of], [predicted[i] for i in rows_of])
        per_lang.append(f"{lang}={sub.macro_f1:.2f}/{sub.positive_as_negative:.2f}")
    print("  per language macro-F1/pos->neg: " + " ".join(per_lang))
    _ = np  # numpy is imported for its threading environment above


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", choices=("balanced", "none"), default="balanced")
    parser.add_argument("--target", type=float, default=training.POSITIVE_AS_NEGATIVE)
    parser.add_argument("--c", type=float, default=training.SENTIMENT_C)
    parser.add_argument("--step", type=float, default=calibration.FLOOR_STEP, help="negative floor grid")
    parser.add_argument("--judge-without", type=Path, help="a seed file trained on but not judged on")
    parser.add_argument("--repeats", type=int, default=2, help="shuffles the figures are pooled over")
    parser.add_argument("--cue-scale", type=float, default=1.0, help="weight of the cue block for sentiment")
    parser.add_argument("--copies", type=int, default=training.SENTIMENT_COPIES, help="noisy training copies")
    parser.add_argument("--global-floor", action="store_true", help="one negative floor for all languages")
    parser.add_argument("--no-complaint-cues", action="store_true", help="measure without complaint_tokens")
    args = parser.parse_args()
    calibration.FLOOR_STEP = args.step
    sentiment_cues.COMPLAINT_CUES = not args.no_complaint_cues
    skip = set()
    if args.judge_without:
        lines = args.judge_without.read_text(encoding="utf-8").splitlines()
        skip = {json.loads(line)["text"] for line in lines if line.strip()}
    run(args, skip)


if __name__ == "__main__":
    main()
