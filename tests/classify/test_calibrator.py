"""The department calibrator: temperature plus a smoothed isotonic map, judged on held-out data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bot.classify.calibration import fit_temperature
from bot.classify.calibrator import Calibrator, isotonic_knots
from bot.classify.evaluation import expected_calibration_error
from bot.classify.features import softmax


def _bent_problem(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose reliability curve bends: the sure ones are too sure, the middle too shy.

    The true class probabilities come from softened scores, then the reported scores are squashed
    in the middle and stretched at the top, which no single temperature undoes.
    """
    scores = rng.normal(size=(n, 4)) * 1.2
    gold = np.array([rng.choice(4, p=p) for p in softmax(scores)])
    margin = scores.max(axis=1, keepdims=True) - scores
    return scores * 0.6 - 0.8 * margin**1.5, gold


def _ece(probs: np.ndarray, gold: np.ndarray) -> float:
    return expected_calibration_error(list(probs.max(axis=1)), list(probs.argmax(axis=1) == gold))


def test_on_held_out_data_the_map_beats_a_temperature_alone() -> None:
    rng = np.random.default_rng(0)
    fit_logits, fit_gold = _bent_problem(rng, 4000)
    test_logits, test_gold = _bent_problem(rng, 4000)
    calibrator = Calibrator.fit(fit_logits, fit_gold)
    temperature_only = softmax(test_logits, fit_temperature(fit_logits, fit_gold))
    mapped = calibrator.probabilities(test_logits)
    assert _ece(mapped, test_gold) < 0.03
    assert _ece(mapped, test_gold) < _ece(temperature_only, test_gold)


def test_the_map_keeps_totals_class_order_and_the_order_of_mentions() -> None:
    rng = np.random.default_rng(1)
    logits, gold = _bent_problem(rng, 3000)
    calibrator = Calibrator.fit(logits, gold)
    probs = calibrator.probabilities(logits)
    assert probs.sum(axis=1) == pytest.approx(np.ones(len(probs)))
    assert (probs.argmax(axis=1) == logits.argmax(axis=1)).all()
    raw_top = softmax(logits, calibrator.temperature).max(axis=1)
    sure = raw_top >= 0.5  # below, a near-tie keeps its top just above the runner-up instead
    order = np.argsort(raw_top[sure])
    assert (np.diff(probs.max(axis=1)[sure][order]) >= 0).all()  # the cascade's ranking is unchanged
    single = calibrator.probabilities(logits[0])
    assert single.shape == (4,) and single == pytest.approx(probs[0])


def test_isotonic_knots_increase_strictly_and_pool_violations() -> None:
    confidence = np.linspace(0.3, 1.0, 600)
    correct = np.tile([1.0, 0.0, 1.0], 200)  # flat accuracy: pooling must not make it zig-zag
    xs, ys = isotonic_knots(confidence, correct, bin_size=100)
    assert all(b > a for a, b in itertools.pairwise(xs))
    assert all(b > a for a, b in itertools.pairwise(ys))
    assert ys[0] == pytest.approx(2 / 3, abs=0.01)
    rising = (np.random.default_rng(2).random(600) < confidence).astype(float)  # grows with it
    xs, ys = isotonic_knots(confidence, rising, bin_size=100)
    assert len(xs) > 3 and all(b > a for a, b in itertools.pairwise(ys))


def test_beyond_the_knots_the_map_is_never_flat() -> None:
    calibrator = Calibrator(1.0, (0.4, 0.9), (0.5, 0.85))
    top = np.array([0.2, 0.4, 0.65, 0.9, 0.95, 0.99])
    mapped = calibrator.map_top(top)
    assert (np.diff(mapped) > 0).all()
    assert mapped[3] == pytest.approx(0.85) and mapped[5] == pytest.approx(0.94)


def test_a_model_saved_before_the_map_uses_its_temperature_only() -> None:
    old = Calibrator.from_meta({"temperature": 2.0})
    logits = np.array([2.0, 0.0, -1.0])
    assert old.probabilities(logits) == pytest.approx(softmax(logits, 2.0))
    fitted = Calibrator(0.8, (0.3, 0.9), (0.35, 0.8))
    assert Calibrator.from_meta(fitted.to_meta()) == fitted
