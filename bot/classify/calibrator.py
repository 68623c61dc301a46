"""The department calibrator: a temperature, then a smoothed isotonic map of the top probability.

A temperature alone cannot fix a reliability curve that bends: on held-out, partly noisy seeds the
temperature-scaled model is under-confident between 0.5 and 0.8 and over-confident above 0.9, and
one scale factor trades one for the other (seed cross-fitted ECE 0.062 with a temperature alone,
0.020 with this map on top; `Calibrator.fit` says how it is fitted). The map is strictly
increasing, so it does not reorder mentions (except near-ties of the two best classes, which keep
their top class just ahead): the cascade's threshold keeps its meaning of "ask the LLM about the
least sure ones".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.classify.calibration import fit_temperature
from bot.classify.features import softmax

BIN_SIZE = 100  # held-out predictions per bin before pooling: ~30 bins from the seeds, each ±0.05
MIN_STEP = 1e-3  # between consecutive knots, so the map stays strictly increasing


@dataclass(frozen=True)
class Calibrator:
    """`probabilities(logits)`: softmax at `temperature`, then the top one mapped through the knots.

    The other classes share what the top one gives up (or lends) in proportion, so the ranking of
    classes and the total of 1 are kept. Outside the knots the map runs parallel to the diagonal.
    """

    temperature: float
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()

    @classmethod
    def fit(cls, logits: np.ndarray, gold: np.ndarray) -> Calibrator:
        """Fit on held-out logits: the temperature by log-loss, then the map by pooled isotonic bins."""
        temperature = fit_temperature(logits, gold)
        probs = softmax(logits, temperature)
        top = probs.max(axis=1)
        correct = (probs.argmax(axis=1) == gold).astype(float)
        knots_x, knots_y = isotonic_knots(top, correct, floor=1.0 / logits.shape[1])
        return cls(temperature, tuple(knots_x), tuple(knots_y))

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Calibrator:
        """A saved model's calibrator (a model saved before the map existed gets the temperature only)."""
        knots = meta.get("confidence_knots") or ((), ())
        return cls(float(meta.get("temperature", 1.0)), tuple(knots[0]), tuple(knots[1]))

    def to_meta(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "confidence_knots": [list(self.knots_x), list(self.knots_y)]}

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities for one row or a batch of raw scores."""
        probs = softmax(logits, self.temperature)
        if not self.knots_x:
            return probs
        batch = np.atleast_2d(probs)
        rows = np.arange(batch.shape[0])
        best = batch.argmax(axis=1)
        top = batch[rows, best]
        second = np.sort(batch, axis=1)[:, -2] if batch.shape[1] > 1 else np.zeros_like(top)
        # never so low that the runner-up, scaled up by what the top gives away, would overtake it
        keeps_first = second / np.maximum(1.0 - top + second, 1e-12) + 1e-9
        mapped = np.clip(np.maximum(self.map_top(top), keeps_first), 1.0 / batch.shape[1], 1.0)
        rest = np.where(top < 1.0, (1.0 - mapped) / np.maximum(1.0 - top, 1e-12), 0.0)
        out = batch * rest[:, None]
        out[rows, best] = mapped
        return out if probs.ndim == 2 else out[0]

    def map_top(self, top: np.ndarray) -> np.ndarray:
        """The knots interpolated linearly; beyond the end knots, slope 1 (never flat: no ties)."""
        xs, ys = np.asarray(self.knots_x), np.asarray(self.knots_y)
        inside = np.interp(top, xs, ys)
        below, above = top < xs[0], top > xs[-1]
        inside[below] = ys[0] - (xs[0] - top[below])
        inside[above] = ys[-1] + (top[above] - xs[-1])
        return np.asarray(np.clip(inside, 0.0, 1.0))


def isotonic_knots(
    confidence: np.ndarray, correct: np.ndarray, *, floor: float = 0.0, bin_size: int = BIN_SIZE
) -> tuple[list[float], list[float]]:
    """(x, y) knots of a monotone map from confidence to accuracy.

    Equal-count bins smooth the raw 0/1 outcomes; pool-adjacent-violators merges bins until the
    accuracies increase; each pooled block becomes one knot at its mean confidence.
    """
    order = np.argsort(confidence, kind="stable")
    chunks = [order[i : i + bin_size] for i in range(0, len(order), bin_size)]
    blocks = [(float(confidence[c].sum()), float(correct[c].sum()), len(c)) for c in chunks if len(c)]
    pooled = _pool_adjacent_violators(blocks)
    xs = [conf / n for conf, _, n in pooled]
    ys = [max(hits / n, floor) for _, hits, n in pooled]
    for i in range(1, len(ys)):  # strictly increasing, so equal confidences never swap order
        ys[i] = max(ys[i], ys[i - 1] + MIN_STEP)
    return xs, [min(y, 1.0) for y in ys]


def _pool_adjacent_violators(
    blocks: Sequence[tuple[float, float, int]],
) -> list[tuple[float, float, int]]:
    """Merge neighbouring (sum confidence, sum correct, count) blocks whose accuracy decreases."""
    pooled: list[tuple[float, float, int]] = []
    for block in blocks:
        pooled.append(block)
        while len(pooled) > 1 and pooled[-2][1] / pooled[-2][2] >= pooled[-1][1] / pooled[-1][2]:
            right, left = pooled.pop(), pooled.pop()
            pooled.append((left[0] + right[0], left[1] + right[1], left[2] + right[2]))
    return pooled
