"""Evaluation metrics on a tiny hand-computed example, and loading labelled JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.classify.evaluation import LabeledExample, evaluate, format_report, load_labeled, report_json
from bot.domain.errors import InvalidMention
from bot.domain.result import Result

# text → (predicted department, confidence). Gold labels below.
PREDICTIONS = {
    "a": ("product", 0.9),  # gold product ✓
    "b": ("product", 0.7),  # gold support ✗
    "c": ("support", 0.8),  # gold support ✓
    "d": ("hr", 0.95),  # gold hr ✓
    "e": ("none", 0.5),  # gold sales ✗
    "f": ("none", 0.55),  # gold none ✓
}
GOLD = {"a": "product", "b": "support", "c": "support", "d": "hr", "e": "sales", "f": "none"}


def fake_predict(text: str) -> Result:
    department, confidence = PREDICTIONS[text]
    return Result(department=department, confidence=confidence)


def test_metrics_match_hand_computation() -> None:
    report = evaluate(fake_predict, [LabeledExample(text=t, department=d) for t, d in GOLD.items()])
    assert report.n == 6
    assert report.accuracy == pytest.approx(4 / 6)
    # product: P=1/2 R=1 F1=2/3; support: P=1 R=1/2 F1=2/3; hr: 1; sales: 0; none: P=1/2 R=1 F1=2/3
    assert report.per_class["product"].precision == pytest.approx(0.5)
    assert report.per_class["support"].recall == pytest.approx(0.5)
    assert report.per_class["sales"].f1 == 0.0 and report.per_class["sales"].support == 1
    assert report.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1 + 0 + 2 / 3) / 5)
    assert report.confusion["support"]["product"] == 1 and report.confusion["sales"]["none"] == 1
    assert sum(sum(row.values()) for row in report.confusion.values()) == 6
    assert report.mean_confidence == pytest.approx((0.9 + 0.7 + 0.8 + 0.95 + 0.5 + 0.55) / 6)
    # bins: 0.5,0.55 → bin 5 (acc 1/2, conf .525); 0.7 → bin 7 (0 vs .7); 0.8 → 1 vs .8; 0.9,0.95 → 1 vs .925
    expected_ece = (2 * abs(0.5 - 0.525) + 0.7 + 0.2 + 2 * 0.075) / 6
    assert report.ece == pytest.approx(expected_ece)
    assert report.confident_coverage == pytest.approx(4 / 6)
    assert report.confident_accuracy == pytest.approx(3 / 4)
    assert ("b", "support", "product") in report.errors


def test_reports_render_the_figures() -> None:
    report = evaluate(fake_predict, [LabeledExample(text=t, department=d) for t, d in GOLD.items()])
    data = report_json(report)
    assert data["n"] == 6 and data["accuracy"] == pytest.approx(0.6667, abs=1e-4)
    assert data["macro_f1"] == pytest.approx(0.6, abs=1e-4)
    assert data["per_class"]["hr"]["f1"] == 1.0
    json.dumps(data)  # plain JSON
    text = format_report(report)
    assert "accuracy=0.667" in text and "macro-F1=0.600" in text
    assert "sales" in text.splitlines()[-2]


def test_load_labeled_reads_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(
        '{"text": "app crashes", "department": "product", "lang": "en"}\n\n'
        '{"id": 7, "text": "refund?", "department": "support"}\n',
        encoding="utf-8",
    )
    assert load_labeled(path) == [
        LabeledExample(text="app crashes", department="product", lang="en"),
        LabeledExample(text="refund?", department="support", id="7"),
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"text": "x", "department": "legal"}', "'department'"),
        ('{"department": "hr"}', "'text'"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_load_labeled_names_the_bad_line(tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text('{"text": "ok", "department": "none"}\n' + bad + "\n", encoding="utf-8")
    with pytest.raises(InvalidMention) as caught:
        load_labeled(path)
    assert f"{path}:2:" in str(caught.value) and message in str(caught.value)


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


SENTIMENT_PREDICTIONS = {"great": "positive", "meh": "negative", "awful": "negative", "ok": "neutral"}


def sentiment_predict(text: str) -> Result:
    return Result(department="none", confidence=0.5, sentiment=SENTIMENT_PREDICTIONS[text])


def test_a_sentiment_only_file_is_valid_and_measured(tmp_path: Path) -> None:
    gold = {"great": "positive", "meh": "positive", "awful": "negative", "ok": "neutral"}
    path = _write(tmp_path / "s.jsonl", [{"text": t, "sentiment": s} for t, s in gold.items()])
    examples = load_labeled(path)
    assert examples[0] == LabeledExample(text="great", sentiment="positive")
    report = evaluate(sentiment_predict, examples)
    assert report.n == 0 and report.sentiment is not None
    s = report.sentiment
    assert (s.n, s.accuracy, s.positive_as_negative) == (4, 0.75, 0.5)
    # positive P=1 R=1/2 F1=2/3; neutral 1; negative P=1/2 R=1 F1=2/3
    assert s.macro_f1 == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    data = report_json(report)
    assert set(data) == {"sentiment"}
    assert {"accuracy", "macro_f1", "per_class", "confusion"} <= set(data["sentiment"])
    assert data["sentiment"]["confusion"]["positive"]["negative"] == 1
    assert data["sentiment"]["per_class"]["neutral"]["f1"] == 1.0
    assert "sentiment: n=4" in format_report(report) and "positive called negative=50.0%" in format_report(
        report
    )


def test_both_gold_fields_are_reported_and_departments_stay_at_the_top(tmp_path: Path) -> None:
    rows = [{"text": t, "department": d, "sentiment": "neutral"} for t, d in GOLD.items()]
    report = evaluate(fake_predict, load_labeled(_write(tmp_path / "b.jsonl", rows)))
    data = report_json(report)
    assert data["n"] == 6 and data["accuracy"] == pytest.approx(0.6667, abs=1e-4)
    assert data["sentiment"]["accuracy"] == 1.0  # fake_predict says "neutral" (the Result default)
    assert data["sentiment"]["macro_f1"] == 1.0  # only labels present in the gold set count


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"text": "x", "sentiment": "angry"}', "'sentiment'"),
        ('{"text": "x"}', "'department' or 'sentiment'"),
    ],
)
def test_bad_sentiment_lines_are_named(tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text('{"text": "ok", "sentiment": "neutral"}\n' + bad + "\n", encoding="utf-8")
    with pytest.raises(InvalidMention) as caught:
        load_labeled(path)
    assert f"{path}:2:" in str(caught.value) and message in str(caught.value)
