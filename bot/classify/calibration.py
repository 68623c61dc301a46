"""Honest confidence: temperatures fitted on predictions the model did not train on.

Each of 5 folds fits its own vectorizer and heads on the other four, then scores its held-out
seeds twice — as written and as a noisy copy (typos, casing, emoji, links, truncation) — so the
fitted temperature reflects both unseen n-grams and the mess of real posts. The same out-of-fold
scores let `bot.classify.oracle` choose the cascade threshold from seeds alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import vstack
from sklearn.model_selection import StratifiedKFold

from bot.classify.features import softmax
from bot.classify.noise import noisy_copies

FOLDS = 5
NOISY_COPIES = 1  # per seed: two copies moved the temperature by < 0.1 and doubled the cost
AUGMENT_SEED = 1000  # noise seeds of training copies start here, far from the held-out copies' (0, 1…)
TEMPERATURES = np.round(np.arange(0.2, 4.001, 0.02), 2)
# Degenerate input (emoji, a link, one or two words) never scores above this: below the product's
# default min_confidence (0.6), so it lands in triage or goes to the LLM, never a confident "none".
DEGENERATE_CAP = 0.45
# grid of the negative floor: 0.05 steps cost 0.01 of seed-CV macro-F1 (benchmarks/sentiment_cv.py)
FLOOR_STEP = 0.01

HeadFactory = Callable[[], Any]  # a fresh sklearn classifier with decision_function


@dataclass(frozen=True)
class Head:
    """One task to cross-validate: its labels, per-example weights and how to build its model."""

    labels: Sequence[str]
    weights: np.ndarray | None
    make: HeadFactory
    prepare: Callable[[Any, Any], Any] | None = None  # (features, fitted vectorizer) → what it sees
    copies: int = 0  # noisy copies of each training text it also learns from (see `fit_head`)


@dataclass(frozen=True)
class OutOfFold:
    """Held-out logits for each head over [clean seeds..., noisy copies...], and their gold labels."""

    texts: list[str]
    logits: list[np.ndarray]
    gold: list[np.ndarray]
    classes: list[list[str]]


def out_of_fold(
    texts: Sequence[str],
    heads: Sequence[Head],
    make_vectorizer: Callable[[], Any],
    seed: int = 0,
    copies: int = NOISY_COPIES,
) -> OutOfFold:
    """Logits of every head for every text and its noisy copies, each from a model that never saw it."""
    n = len(texts)
    variants = [list(texts)] + [noisy_copies(list(texts), seed=seed + k) for k in range(copies)]
    classes = [sorted(set(head.labels)) for head in heads]
    logits = [np.zeros((len(variants) * n, len(c))) for c in classes]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for train, held in folds.split(np.zeros(n), heads[0].labels):
        vectorizer = make_vectorizer()
        features = vectorizer.fit_transform([texts[i] for i in train])
        held_features = vectorizer.transform([variant[i] for variant in variants for i in held])
        rows = np.concatenate([held + k * n for k in range(len(variants))])
        train_texts = [texts[i] for i in train]
        for k, head in enumerate(heads):
            model = fit_head(head, features, vectorizer, train_texts, train, seed=seed)
            logits[k][rows] = _aligned(model, held_features, classes[k])
    gold = [
        np.array([c.index(label) for label in head.labels] * len(variants))
        for c, head in zip(classes, heads, strict=True)
    ]
    return OutOfFold([text for variant in variants for text in variant], logits, gold, classes)


def fit_head(
    head: Head, features: Any, vectorizer: Any, texts: Sequence[str], rows: Any, seed: int = 0
) -> Any:
    """`head` fitted on `features` of `texts` (rows `rows` of its labels), and on noisy copies of them.

    The copies teach the head that a typo, a link or SHOUTING does not change what a text says;
    their noise is drawn apart from the held-out copies' (`AUGMENT_SEED`), so it is never the same.
    """
    labels = [head.labels[i] for i in rows]
    weights = None if head.weights is None else head.weights[rows]
    seen = features if head.prepare is None else head.prepare(features, vectorizer)
    if head.copies:
        copies = [noisy_copies(list(texts), seed=AUGMENT_SEED + 10 * seed + k) for k in range(head.copies)]
        extra = vectorizer.transform([text for copy in copies for text in copy])
        seen = vstack([seen, extra if head.prepare is None else head.prepare(extra, vectorizer)]).tocsr()
        labels *= 1 + head.copies
        weights = None if weights is None else np.tile(weights, 1 + head.copies)
    return head.make().fit(seen, labels, sample_weight=weights)


def pooled(runs: Sequence[OutOfFold]) -> OutOfFold:
    """Several out-of-fold runs (other shuffles, other noise) as one: a calibration fitted on more
    held-out predictions varies less from one shuffle to the next."""
    first = runs[0]
    return OutOfFold(
        [text for run in runs for text in run.texts],
        [np.vstack([run.logits[k] for run in runs]) for k in range(len(first.logits))],
        [np.concatenate([run.gold[k] for run in runs]) for k in range(len(first.gold))],
        first.classes,
    )


def _aligned(model: Any, features: Any, classes: list[str]) -> np.ndarray:
    """Decision scores in `classes` order; a class absent from a training fold scores very low."""
    raw = np.asarray(model.decision_function(features))
    out = np.full((raw.shape[0], len(classes)), -30.0)
    for j, label in enumerate(model.classes_):
        out[:, classes.index(str(label))] = raw[:, j]
    return out


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature with the least log-loss of the true labels (a grid: robust and fast)."""
    best, best_loss = 1.0, float("inf")
    rows = np.arange(len(gold))
    for temperature in TEMPERATURES:
        probs = softmax(logits, float(temperature))
        loss = -float(np.mean(np.log(probs[rows, gold] + 1e-12)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def cap_confidence(probs: np.ndarray, cap: float) -> np.ndarray:
    """Shrink probabilities towards uniform until the largest is at most `cap` (ranking kept)."""
    uniform = 1.0 / len(probs)
    top = float(probs.max())
    if top <= cap or top <= uniform:
        return probs
    shrink = (max(cap, uniform) - uniform) / (top - uniform)
    return np.asarray(uniform + shrink * (probs - uniform))


def negative_floor(probs: np.ndarray, gold: np.ndarray, classes: list[str], target: float) -> float:
    """The least probability a "negative" needs so that at most `target` of positives are called so.

    Below the floor the runner-up label is reported instead: a team is pinged on a confident
    complaint, not on praise that mentions a bug.
    """
    negative, positive = classes.index("negative"), classes.index("positive")
    is_positive = gold == positive
    for floor in np.round(np.arange(0.0, 0.951, FLOOR_STEP), 2):
        called = (probs.argmax(axis=1) == negative) & (probs[:, negative] >= floor)
        if not is_positive.any() or float(np.mean(called[is_positive])) <= target:
            return float(floor)
    return 0.95


def negative_floors(
    probs: np.ndarray, gold: np.ndarray, classes: list[str], groups: Sequence[str], target: float
) -> dict[str, float]:
    """`negative_floor` for each group (a seed language): the target then holds in every language,
    and a language whose complaints and praise separate well is not held to the floor of the worst."""
    names = np.asarray(groups)
    return {
        str(name): negative_floor(probs[names == name], gold[names == name], classes, target)
        for name in sorted(set(groups))
    }
