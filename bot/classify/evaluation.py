"""Measuring a classifier on labelled mentions: loading the JSONL, the metrics, and the reports."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.classify.sentiment_eval import (
    SENTIMENT_LABELS,
    SentimentReport,
    format_sentiment,
    sentiment_json,
    sentiment_report,
)
from bot.domain.errors import InvalidMention
from bot.domain.result import Result
from bot.domain.rules import LABELS

ECE_BINS = 10
CONFIDENT = 0.6  # the product's default min_confidence


@dataclass(frozen=True)
class LabeledExample:
    """One mention with its gold department, its gold sentiment, or both."""

    text: str
    department: str | None = None
    id: str = ""
    lang: str = ""
    sentiment: str | None = None


@dataclass(frozen=True)
class ClassMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    """Everything `evaluate` measured. `confusion[gold][predicted]` counts mentions."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassMetrics]
    confusion: dict[str, dict[str, int]]
    mean_confidence: float
    ece: float
    confident_coverage: float  # share of mentions with confidence ≥ CONFIDENT
    confident_accuracy: float  # accuracy among those
    labels: tuple[str, ...] = LABELS
    errors: list[tuple[str, str, str]] = field(default_factory=list, compare=False)  # text, gold, predicted
    sentiment: SentimentReport | None = None  # when the file has gold sentiments


def load_labeled(path: Path) -> list[LabeledExample]:
    """Read labelled JSONL ("text" and a "department" and/or "sentiment"); a bad line names its number."""
    examples: list[LabeledExample] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                examples.append(_parse_line(line, f"{path}:{number}"))
    return examples


def _parse_line(line: str, where: str) -> LabeledExample:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidMention(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise InvalidMention(f"{where}: expected a JSON object")
    text, department, sentiment = raw.get("text"), raw.get("department"), raw.get("sentiment")
    if not isinstance(text, str) or not text.strip():
        raise InvalidMention(f"{where}: missing or empty 'text'")
    if department is None and sentiment is None:
        raise InvalidMention(f"{where}: needs a gold 'department' or 'sentiment'")
    if department is not None and department not in LABELS:
        raise InvalidMention(f"{where}: 'department' must be one of {', '.join(LABELS)}, got {department!r}")
    if sentiment is not None and sentiment not in SENTIMENT_LABELS:
        choices = ", ".join(SENTIMENT_LABELS)
        raise InvalidMention(f"{where}: 'sentiment' must be one of {choices}, got {sentiment!r}")
    return LabeledExample(
        text=text,
        department=department,
        id=str(raw.get("id", "")),
        lang=str(raw.get("lang", "")),
        sentiment=sentiment,
    )


def evaluate(predict: Callable[[str], Result], examples: Iterable[LabeledExample]) -> EvalReport:
    """Run `predict` on every example and measure it against whichever gold labels it has."""
    gold: list[str] = []
    predicted: list[str] = []
    confidence: list[float] = []
    errors: list[tuple[str, str, str]] = []
    sentiments: tuple[list[str], list[str]] = ([], [])
    for example in examples:
        result = predict(example.text)
        if example.sentiment is not None:
            sentiments[0].append(example.sentiment)
            sentiments[1].append(result.sentiment)
        if example.department is None:
            continue
        gold.append(example.department)
        predicted.append(result.department)
        confidence.append(result.confidence)
        if result.department != example.department:
            errors.append((example.text, example.department, result.department))
    report = _report(gold, predicted, confidence, errors)
    if sentiments[0]:
        report = replace(report, sentiment=sentiment_report(*sentiments))
    return report


def _report(gold: list[str], predicted: list[str], confidence: list[float], errors: list[Any]) -> EvalReport:
    n = len(gold)
    correct = [g == p for g, p in zip(gold, predicted, strict=True)]
    confusion = {g: {p: 0 for p in LABELS} for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class = {label: _class_metrics(label, confusion) for label in LABELS}
    confident = [ok for ok, c in zip(correct, confidence, strict=True) if c >= CONFIDENT]
    return EvalReport(
        n=n,
        accuracy=_ratio(sum(correct), n),
        macro_f1=sum(m.f1 for m in per_class.values()) / len(LABELS),
        per_class=per_class,
        confusion=confusion,
        mean_confidence=_ratio(sum(confidence), n),
        ece=expected_calibration_error(confidence, correct),
        confident_coverage=_ratio(len(confident), n),
        confident_accuracy=_ratio(sum(confident), len(confident)),
        errors=errors,
    )


def _class_metrics(label: str, confusion: dict[str, dict[str, int]]) -> ClassMetrics:
    true_positive = confusion[label][label]
    predicted = sum(row[label] for row in confusion.values())
    support = sum(confusion[label].values())
    precision = _ratio(true_positive, predicted)
    recall = _ratio(true_positive, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return ClassMetrics(precision=precision, recall=recall, f1=f1, support=support)


def expected_calibration_error(confidence: list[float], correct: list[bool], bins: int = ECE_BINS) -> float:
    """Weighted mean |accuracy − confidence| over equal-width confidence bins (1.0 lands in the top bin)."""
    if not confidence:
        return 0.0
    total = 0.0
    for b in range(bins):
        members = [i for i, c in enumerate(confidence) if min(int(c * bins), bins - 1) == b]
        if members:
            gap = sum(confidence[i] for i in members) - sum(correct[i] for i in members)
            total += abs(gap)
    return total / len(confidence)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def format_report(report: EvalReport) -> str:
    """Department table (headline, per-class metrics, confusion), then sentiment's if measured."""
    parts = [_format_departments(report)] if report.n else []
    if report.sentiment is not None:
        parts.append(format_sentiment(report.sentiment))
    return "\n\n".join(parts) or "no labelled examples"


def _format_departments(report: EvalReport) -> str:
    lines = [
        f"n={report.n}  accuracy={report.accuracy:.3f}  macro-F1={report.macro_f1:.3f}",
        f"mean confidence={report.mean_confidence:.3f}  ECE={report.ece:.3f}  "
        f"confidence≥{CONFIDENT}: coverage={report.confident_coverage:.3f} "
        f"accuracy={report.confident_accuracy:.3f}",
        "",
        f"{'label':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for label, m in report.per_class.items():
        lines.append(f"{label:<10}{m.precision:>10.3f}{m.recall:>10.3f}{m.f1:>10.3f}{m.support:>10}")
    lines += [
        "",
        "confusion (rows gold, columns predicted)",
        f"{'':<10}" + "".join(f"{p:>9}" for p in LABELS),
    ]
    for gold in LABELS:
        lines.append(f"{gold:<10}" + "".join(f"{report.confusion[gold][p]:>9}" for p in LABELS))
    return "\n".join(lines)


def report_json(report: EvalReport) -> dict[str, Any]:
    """JSON-ready figures: departments at the top (as before), sentiment under "sentiment"."""
    data = _departments_json(report) if report.n else {}
    if report.sentiment is not None:
        data["sentiment"] = sentiment_json(report.sentiment)
    return data


def _departments_json(report: EvalReport) -> dict[str, Any]:
    return {
        "macro_f1": round(report.macro_f1, 4),
        "accuracy": round(report.accuracy, 4),
        "n": report.n,
        "mean_confidence": round(report.mean_confidence, 4),
        "ece": round(report.ece, 4),
        "confident_coverage": round(report.confident_coverage, 4),
        "confident_accuracy": round(report.confident_accuracy, 4),
        "per_class": {
            label: {
                "precision": round(m.precision, 4),
                "recall": round(m.recall, 4),
                "f1": round(m.f1, 4),
                "support": m.support,
            }
            for label, m in report.per_class.items()
        },
        "confusion": report.confusion,
    }
