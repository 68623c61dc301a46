"""Honest confidence: held-out folds with their own vectorizer, the temperature fit, noise, caps."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from bot.classify.calibration import (
    Head,
    cap_confidence,
    fit_temperature,
    negative_floor,
    negative_floors,
    out_of_fold,
    pooled,
)
from bot.classify.calibrator import Calibrator
from bot.classify.evaluation import expected_calibration_error
from bot.classify.features import build_vectorizer, hide_cues, softmax
from bot.classify.local import LocalClassifier
from bot.classify.noise import noisy_copies
from bot.classify.training import department_model, seed_examples


class RecordingVectorizer:
    """A real vectorizer that remembers which texts each fold fitted on and scored."""

    log: ClassVar[list[tuple[set[str], list[str]]]] = []

    def __init__(self) -> None:
        self._inner = build_vectorizer()

    def fit_transform(self, texts: list[str]) -> Any:
        RecordingVectorizer.log.append((set(texts), []))
        return self._inner.fit_transform(texts)

    def transform(self, texts: list[str]) -> Any:
        RecordingVectorizer.log[-1][1].extend(texts)
        return self._inner.transform(texts)


def test_each_fold_fits_its_own_vectorizer_without_the_held_out_texts() -> None:
    texts = [f"{word} number {i}" for i, word in enumerate(["crash", "refund", "salary", "price"] * 10)]
    labels = ["product", "support", "hr", "sales"] * 10
    RecordingVectorizer.log = []
    head = Head(labels, None, lambda: LogisticRegression(max_iter=200))
    oof = out_of_fold(texts, [head], RecordingVectorizer)
    assert len(RecordingVectorizer.log) == 5
    for fitted, scored in RecordingVectorizer.log:
        clean = [t for t in scored if t in texts]
        assert clean and not fitted & set(clean)  # held-out text never shaped the vocabulary
    assert oof.logits[0].shape == (2 * len(texts), 4)  # clean rows, then one noisy copy each
    assert len(oof.texts) == 2 * len(texts) and oof.texts[: len(texts)] == texts


def test_fit_temperature_recovers_a_known_sharpening() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 4)) * 1.5
    gold = np.array([rng.choice(4, p=p) for p in softmax(true_logits)])
    assert fit_temperature(true_logits * 3.0, gold) == pytest.approx(3.0, abs=0.3)


def test_local_model_is_calibrated_on_folds_it_did_not_train_on() -> None:
    """Fresh folds and noise (seed 7, not the training seed): ECE with the model's own calibrator."""
    model = LocalClassifier.train()
    seeds = seed_examples()
    departments = [row["department"] for row in seeds]
    head = Head(departments, None, department_model, hide_cues)
    oof = out_of_fold([row["text"] for row in seeds], [head], build_vectorizer, seed=7)
    probs = Calibrator.from_meta(model.meta).probabilities(oof.logits[0])
    correct = list(probs.argmax(axis=1) == oof.gold[0])
    assert expected_calibration_error(list(probs.max(axis=1)), correct) < 0.04
    assert 0.3 < model.meta["temperature"] < 2.0


def test_cap_confidence_keeps_the_ranking_and_the_total() -> None:
    probs = np.array([0.9, 0.05, 0.03, 0.01, 0.01])
    capped = cap_confidence(probs, 0.45)
    assert capped.max() == pytest.approx(0.45) and capped.sum() == pytest.approx(1.0)
    assert list(np.argsort(-capped)) == list(np.argsort(-probs))
    assert cap_confidence(np.array([0.4, 0.6]), 0.7).tolist() == [0.4, 0.6]


def test_noisy_copies_are_reproducible_and_noisy() -> None:
    texts = ["The app crashes every time I open the camera tab since the update"] * 20
    first, again = noisy_copies(texts, seed=3), noisy_copies(texts, seed=3)
    assert first == again
    assert sum(copy != texts[0] for copy in first) >= 18


def test_negative_floor_is_the_least_that_keeps_positives_within_the_target() -> None:
    classes = ["negative", "neutral", "positive"]
    # five positives called negative at 0.55..0.95, and five positives that are plainly positive
    sure = [0.55, 0.65, 0.75, 0.85, 0.95]
    probs = np.array([[p, 0.0, 1 - p] for p in sure] + [[0.1, 0.1, 0.8]] * 5)
    gold = np.full(len(probs), classes.index("positive"))
    # at most 2 of 10 may stay negative: the floor must rise above 0.75 (fine grid: 0.76)
    assert negative_floor(probs, gold, classes, 0.2) == pytest.approx(0.76)
    assert negative_floor(probs, gold, classes, 1.0) == 0.0


def test_each_language_gets_the_floor_that_keeps_its_own_positives_within_the_target() -> None:
    classes = ["negative", "neutral", "positive"]
    sure = [0.55, 0.65, 0.75, 0.85, 0.95]
    # Spanish praise is often scored negative; English praise never is
    probs = np.array([[p, 0.0, 1 - p] for p in sure] + [[0.1, 0.1, 0.8]] * 5 + [[0.1, 0.1, 0.8]] * 10)
    gold = np.full(len(probs), classes.index("positive"))
    langs = ["es"] * 10 + ["en"] * 10
    floors = negative_floors(probs, gold, classes, langs, 0.2)
    assert floors == {"es": pytest.approx(0.76), "en": 0.0}
    assert negative_floor(probs, gold, classes, 0.2) == pytest.approx(0.56)  # one floor: 4 of 20 may stay


def test_pooled_runs_stack_each_heads_rows_in_run_order() -> None:
    texts = [f"{word} number {i}" for i, word in enumerate(["crash", "refund", "salary", "price"] * 10)]
    head = Head(["product", "support", "hr", "sales"] * 10, None, lambda: LogisticRegression(max_iter=200))
    runs = [out_of_fold(texts, [head], build_vectorizer, seed=seed) for seed in (0, 1)]
    both = pooled(runs)
    assert both.texts == runs[0].texts + runs[1].texts
    assert np.array_equal(both.logits[0], np.vstack([runs[0].logits[0], runs[1].logits[0]]))
    assert np.array_equal(both.gold[0], np.concatenate([runs[0].gold[0], runs[1].gold[0]]))
