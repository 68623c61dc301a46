"""Benchmark of the local classifier: training time, single-core throughput, and dev-set quality.

Run: `.venv/bin/python benchmarks/classify.py`. Quality figures need ../shared/data/dev.jsonl
(never trained on: the model sees only the bundled seeds).
"""

from __future__ import annotations

import argparse
import os

# One core, as on a small worker: must be set before numpy is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.classify.evaluation import CONFIDENT, evaluate, format_report, load_labeled  # noqa: E402
from bot.classify.local import LocalClassifier  # noqa: E402
from bot.classify.oracle import format_sweep, seed_sweep, sweep  # noqa: E402
from bot.classify.training import seed_examples  # noqa: E402

DEV = REPO.parent / "shared/data/dev.jsonl"
SENTIMENT_DEV = REPO.parent / "shared/data/sentiment-dev.jsonl"
SAMPLE = [
    "@ShopMart my parcel never arrived and I want a refund",
    "The app crashes when I open the camera, please fix",
    "How much is the enterprise plan for 200 seats?",
    "Great team but management ignores feedback and pay is low",
    "Congratulations you won a free cruise, text YES now",
    "Die App stürzt nach dem Update ab",
    "Combien coûte l'abonnement pro ?",
]


def rate(label: str, count: int, seconds: float) -> None:
    print(f"{label:<34}{count / seconds:>10.0f} mentions/s  ({seconds * 1000 / count:.3f} ms each)")


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, no options
    started = time.perf_counter()
    model = LocalClassifier.train()
    print(
        f"training from scratch               {time.perf_counter() - started:.2f} s "
        f"({len(seed_examples())} seeds, temperature {model.meta['temperature']})"
    )
    texts = (SAMPLE * 300)[:2000]
    model.classify_many(texts[:50])  # warm-up
    started = time.perf_counter()
    for text in texts:
        model.classify(text)
    rate("classify (single text, 1 core)", len(texts), time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(0, len(texts), 200):
        model.classify_many(texts[i : i + 200])
    rate("classify_many (batches of 200)", len(texts), time.perf_counter() - started)
    print("\ncascade with a perfect LLM, seeds cross-validation (what the default threshold is chosen from)")
    print(format_sweep(seed_sweep()))
    if not DEV.exists():
        print(f"{DEV} not found: skipping quality figures")
        return
    dev_quality(model)


def dev_quality(model: LocalClassifier) -> None:
    examples = load_labeled(DEV)
    report = evaluate(model.classify, examples)
    print(f"\ndev set {DEV} (not used for training)")
    print(format_report(report))
    print(
        f"\nmentions with confidence ≥ {CONFIDENT}: coverage {report.confident_coverage:.1%}, "
        f"accuracy {report.confident_accuracy:.1%}; calibration error (ECE, 10 bins) {report.ece:.3f}"
    )
    results = model.classify_many([e.text for e in examples])
    gold = [str(e.department) for e in examples]
    print("\ncascade with a perfect LLM on dev (confirmation only)")
    print(format_sweep(sweep(gold, [r.department for r in results], [r.confidence for r in results])))
    if SENTIMENT_DEV.exists():
        sentiment = evaluate(model.classify, load_labeled(SENTIMENT_DEV))
        print(f"\n{SENTIMENT_DEV} (not used for training)")
        print(format_report(sentiment))


if __name__ == "__main__":
    main()
