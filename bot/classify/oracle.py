"""The cascade with a perfect LLM: how the local-confidence threshold trades LLM calls for accuracy.

Gold labels stand in for the LLM: a mention whose local confidence is below the threshold goes
to the "LLM" and reaches the right channel. Above it, the local answer is routed as the product
would: below `min_confidence` it goes to triage (counted as not right: a human still has to move
it), `none` is not posted, anything else goes to its department's channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.classify.calibration import DEGENERATE_CAP, cap_confidence, out_of_fold
from bot.classify.calibrator import Calibrator
from bot.classify.features import build_vectorizer
from bot.classify.normalize import is_degenerate
from bot.classify.training import CALIBRATION_SHUFFLES, department_head, seed_calibration, seed_examples

THRESHOLDS = (0.0, 0.6, 0.7, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.93, 0.95, 0.97, 0.99, 1.01)
TARGET = 0.97  # share of actionable mentions that must reach the right channel


@dataclass(frozen=True)
class OraclePoint:
    """End-to-end figures at one threshold."""

    threshold: float
    actionable_right: float  # gold ≠ none mentions that reached their department's channel
    calls_per_mention: float  # LLM calls per mention (all mentions, `none` included)
    all_right: float  # every mention ends where it belongs (none: not posted)


def sweep(
    gold: Sequence[str],
    predicted: Sequence[str],
    confidence: Sequence[float],
    *,
    min_confidence: float = 0.6,
    thresholds: Sequence[float] = THRESHOLDS,
) -> list[OraclePoint]:
    """One point per threshold for the local answers `predicted`/`confidence` against `gold`."""
    n = len(gold)
    actionable = sum(g != "none" for g in gold)
    points = []
    for threshold in thresholds:
        asked = [c < threshold for c in confidence]
        right = [
            ask or (c >= min_confidence and p == g)
            for ask, g, p, c in zip(asked, gold, predicted, confidence, strict=True)
        ]
        points.append(
            OraclePoint(
                threshold=threshold,
                actionable_right=_ratio(
                    sum(r for r, g in zip(right, gold, strict=True) if g != "none"), actionable
                ),
                calls_per_mention=_ratio(sum(asked), n),
                all_right=_ratio(sum(right), n),
            )
        )
    return points


def cheapest(points: Sequence[OraclePoint], target: float = TARGET) -> OraclePoint | None:
    """The point with the fewest LLM calls that meets `target`, or None if none does."""
    meeting = [p for p in points if p.actionable_right >= target]
    return min(meeting, key=lambda p: (p.calls_per_mention, p.threshold)) if meeting else None


def seed_sweep(
    *, min_confidence: float = 0.6, seed: int = CALIBRATION_SHUFFLES, thresholds: Sequence[float] = THRESHOLDS
) -> list[OraclePoint]:
    """The curve from seeds cross-validation: out-of-fold, calibrated, half of it noisy copies.

    The calibrator is the product's (fitted on shuffles 0-2), judged on shuffle `seed` (other
    folds, other noise). This is what the default `CASCADE_LOCAL_CONFIDENCE` is chosen from (never
    from dev data).
    """
    seeds = seed_examples()
    texts = [row["text"] for row in seeds]
    head = department_head([row["department"] for row in seeds])
    oof = out_of_fold(texts, [head], build_vectorizer, seed=seed)
    probs = Calibrator.from_meta(seed_calibration()).probabilities(oof.logits[0])
    probs = np.array(
        [
            cap_confidence(p, DEGENERATE_CAP) if is_degenerate(t) else p
            for p, t in zip(probs, oof.texts, strict=True)
        ]
    )
    classes = oof.classes[0]
    predicted = [classes[i] for i in probs.argmax(axis=1)]
    gold = [classes[i] for i in oof.gold[0]]
    return sweep(
        gold, predicted, list(probs.max(axis=1)), min_confidence=min_confidence, thresholds=thresholds
    )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def format_sweep(points: Sequence[OraclePoint], target: float = TARGET) -> str:
    """The curve as a table, marking the cheapest threshold that meets `target`."""
    best = cheapest(points, target)
    lines = [f"{'threshold':>10}{'actionable right':>18}{'all right':>11}{'LLM calls/mention':>19}"]
    for p in points:
        mark = f"  ← cheapest ≥ {target:.0%}" if p == best else ""
        lines.append(
            f"{p.threshold:>10.2f}{p.actionable_right:>18.3f}{p.all_right:>11.3f}{p.calls_per_mention:>19.3f}{mark}"
        )
    return "\n".join(lines)


def sweep_json(points: Sequence[OraclePoint], target: float = TARGET) -> dict[str, object]:
    best = cheapest(points, target)
    return {
        "target": target,
        "cheapest_threshold": None if best is None else best.threshold,
        "points": [
            {
                "threshold": p.threshold,
                "actionable_right": round(p.actionable_right, 4),
                "all_right": round(p.all_right, 4),
                "calls_per_mention": round(p.calls_per_mention, 4),
            }
            for p in points
        ],
    }
