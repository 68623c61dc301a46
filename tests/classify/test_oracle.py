"""The perfect-LLM cascade simulation behind `eval --oracle` and the default threshold."""

from __future__ import annotations

import pytest

from bot.classify.oracle import cheapest, format_sweep, sweep, sweep_json

# gold, local answer, local confidence
CASES = [
    ("product", "product", 0.99),  # right and sure
    ("support", "product", 0.95),  # wrong and sure: only a threshold above 0.95 saves it
    ("sales", "sales", 0.7),  # right, mid confidence
    ("hr", "hr", 0.5),  # right but below min_confidence: triage unless the LLM is asked
    ("none", "sales", 0.65),  # noise: no actionable mention, but an LLM call if asked
]


def test_sweep_counts_right_channels_and_llm_calls() -> None:
    gold, predicted, confidence = zip(*CASES, strict=True)
    points = sweep(gold, predicted, confidence, min_confidence=0.6, thresholds=(0.0, 0.6, 0.9, 0.96))
    by_threshold = {p.threshold: p for p in points}
    assert by_threshold[0.0].actionable_right == pytest.approx(2 / 4)  # product, sales
    assert by_threshold[0.0].calls_per_mention == 0.0
    assert by_threshold[0.6].actionable_right == pytest.approx(3 / 4)  # + hr via the LLM
    assert by_threshold[0.6].calls_per_mention == pytest.approx(1 / 5)
    assert by_threshold[0.9].calls_per_mention == pytest.approx(3 / 5)
    assert by_threshold[0.9].all_right == pytest.approx(4 / 5)
    assert by_threshold[0.96].actionable_right == 1.0
    assert by_threshold[0.96].calls_per_mention == pytest.approx(4 / 5)
    assert cheapest(points, target=0.97) == by_threshold[0.96]
    assert cheapest(points[:2], target=0.97) is None


def test_sweep_renders_as_a_table_and_json() -> None:
    gold, predicted, confidence = zip(*CASES, strict=True)
    points = sweep(gold, predicted, confidence, thresholds=(0.0, 0.96))
    assert "← cheapest ≥ 97%" in format_sweep(points).splitlines()[2]
    data = sweep_json(points)
    assert data["cheapest_threshold"] == 0.96 and len(data["points"]) == 2  # type: ignore[arg-type]
