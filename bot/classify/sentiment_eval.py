"""Measuring sentiment against gold labels: accuracy, macro-F1, per-label P/R/F1, confusion.

Kept apart from `bot.evaluation` (departments) so either gold field can be measured alone; it
also reports how often praise is called a complaint, the error that pings people for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SENTIMENT_LABELS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class LabelMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class SentimentReport:
    """`confusion[gold][predicted]` counts texts; labels absent from the gold set are still listed."""

    n: int
    accuracy: float
    macro_f1: float  # over the labels that occur in the gold set
    per_class: dict[str, LabelMetrics]
    confusion: dict[str, dict[str, int]]
    positive_as_negative: float  # share of gold-positive texts predicted negative


def sentiment_report(gold: list[str], predicted: list[str]) -> SentimentReport:
    """Compare predicted sentiments with gold ones (equal-length lists)."""
    confusion = {g: {p: 0 for p in SENTIMENT_LABELS} for g in SENTIMENT_LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class = {label: _metrics(label, confusion) for label in SENTIMENT_LABELS}
    present = [label for label in SENTIMENT_LABELS if per_class[label].support]
    positives = per_class["positive"].support
    return SentimentReport(
        n=len(gold),
        accuracy=_ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold)),
        macro_f1=_ratio(sum(per_class[label].f1 for label in present), len(present)),
        per_class=per_class,
        confusion=confusion,
        positive_as_negative=_ratio(confusion["positive"]["negative"], positives),
    )


def _metrics(label: str, confusion: dict[str, dict[str, int]]) -> LabelMetrics:
    hits = confusion[label][label]
    precision = _ratio(hits, sum(row[label] for row in confusion.values()))
    recall = _ratio(hits, sum(confusion[label].values()))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return LabelMetrics(precision, recall, f1, sum(confusion[label].values()))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def format_sentiment(report: SentimentReport) -> str:
    """Plain-text table for `eval`: headline, per-label metrics, confusion."""
    lines = [
        f"sentiment: n={report.n}  accuracy={report.accuracy:.3f}  macro-F1={report.macro_f1:.3f}  "
        f"positive called negative={report.positive_as_negative:.1%}",
        "",
        f"{'label':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for label, m in report.per_class.items():
        lines.append(f"{label:<10}{m.precision:>10.3f}{m.recall:>10.3f}{m.f1:>10.3f}{m.support:>10}")
    lines += ["", "confusion (rows gold, columns predicted)"]
    lines.append(f"{'':<10}" + "".join(f"{p:>10}" for p in SENTIMENT_LABELS))
    for gold in SENTIMENT_LABELS:
        lines.append(f"{gold:<10}" + "".join(f"{report.confusion[gold][p]:>10}" for p in SENTIMENT_LABELS))
    return "\n".join(lines)


def sentiment_json(report: SentimentReport) -> dict[str, Any]:
    """The `"sentiment"` object of `eval --json`."""
    return {
        "n": report.n,
        "accuracy": round(report.accuracy, 4),
        "macro_f1": round(report.macro_f1, 4),
        "positive_as_negative": round(report.positive_as_negative, 4),
        "per_class": {
            label: {"precision": round(m.precision, 4), "recall": round(m.recall, 4), "f1": round(m.f1, 4)}
            | {"support": m.support}
            for label, m in report.per_class.items()
        },
        "confusion": report.confusion,
    }
