"""`eval --oracle`: the local model's answers on a labelled file, run through the perfect-LLM cascade."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.classify.evaluation import CONFIDENT, LabeledExample
from bot.classify.local import load_or_train
from bot.classify.oracle import format_sweep, sweep, sweep_json
from bot.domain.settings import Settings


def oracle_curve(settings: Settings, examples: Sequence[LabeledExample]) -> tuple[str, dict[str, Any]]:
    """(table, JSON) of the threshold sweep over examples with a gold department.

    Uses the product's default min_confidence (0.6): local answers below it would go to triage.
    """
    labelled = [e for e in examples if e.department is not None]
    results = load_or_train(settings.model_path).classify_many([e.text for e in labelled])
    points = sweep(
        [str(e.department) for e in labelled],
        [r.department for r in results],
        [r.confidence for r in results],
        min_confidence=CONFIDENT,
    )
    title = (
        f"cascade with a perfect LLM (gold labels), local model, min_confidence {CONFIDENT}; "
        f"current CASCADE_LOCAL_CONFIDENCE {settings.local_confident}"
    )
    return title + "\n" + format_sweep(points), sweep_json(points)
