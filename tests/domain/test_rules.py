"""Tests for bot.domain.rules: shipped files validate, and every kind of mistake names its key and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.errors import ConfigError
from bot.domain.rules import RoutingRules, load_rules, parse_duration
from tests.conftest import RULES_YAML

REPO_RULES = Path(__file__).resolve().parents[2] / "routing_rules.yaml"

# The minimal valid file from PRODUCT.md, verbatim.
MINIMAL = """\
watch:
  channels: [C0SOCIAL]            # IDs or '#names'; messages here are incoming mentions
departments:
  product: {channel: C0PRODUCT}
  support: {channel: C0SUPPORT}
  hr:      {channel: C0HR}
  sales:   {channel: C0SALES}
triage_channel: C0TRIAGE          # low-confidence mentions wait here for a human
"""


def load_text(tmp_path: Path, text: str) -> RoutingRules:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return load_rules(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    """Every problem load_rules reports for `text`, as the lines of the ConfigError."""
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    return info.value.problems


def with_digest(**fields: str) -> str:
    digest = {"name": "weekly", "recipients": "[C0TRIAGE]", "cron": '"0 9 * * mon"', **fields}
    body = "".join(f"    {key}: {value}\n" for key, value in digest.items())
    return MINIMAL + "digests:\n  - " + body.lstrip()


def test_repo_rules_file_validates() -> None:
    rules = load_rules(REPO_RULES)
    assert rules.channel_for("support") == "#team-support"
    assert rules.watch.channels == ["#social-mentions"]
    assert rules.min_confidence == 0.6
    assert [rule.department for rule in rules.rules] == ["hr", "sales"]
    assert rules.digests[0].timezone == "Europe/Oslo"
    assert rules.is_restricted("hr") is True


def test_minimal_file_from_the_spec_validates_with_defaults(tmp_path: Path) -> None:
    rules = load_text(tmp_path, MINIMAL)
    assert {name: d.channel for name, d in rules.departments.items()} == {
        "product": "C0PRODUCT",
        "support": "C0SUPPORT",
        "hr": "C0HR",
        "sales": "C0SALES",
    }
    assert rules.triage_channel == "C0TRIAGE"
    assert rules.min_confidence == 0.6
    assert rules.rules == [] and rules.digests == [] and rules.alerts is None


def test_shared_fixture_rules_validate(rules: RoutingRules) -> None:
    assert rules.watch.channels == ["C0SOCIAL"]
    assert rules.departments["support"].escalate is not None
    assert rules.departments["support"].escalate.ping == ["S0ONCALL"]
    assert rules.rules[1].regex == r"(?i)\b(request|need|send)( me)? a quote\b"
    assert "C0SOCIAL" in RULES_YAML


def test_hr_is_restricted_by_default_and_can_be_opened(tmp_path: Path) -> None:
    rules = load_text(tmp_path, MINIMAL)
    assert rules.is_restricted("hr") is True
    assert [d for d in ("product", "support", "sales") if rules.is_restricted(d)] == []
    opened = load_text(tmp_path, MINIMAL.replace("{channel: C0HR}", "{channel: C0HR, restricted: false}"))
    assert opened.is_restricted("hr") is False
    closed = load_text(
        tmp_path, MINIMAL.replace("{channel: C0SALES}", "{channel: C0SALES, restricted: true}")
    )
    assert closed.is_restricted("sales") is True


def test_bad_channel_reports_key_and_line(tmp_path: Path) -> None:
    product = "  product:\n    description: Bugs.\n    managers: [U0PM]\n    channel: team product\n"
    text = MINIMAL.replace("  product: {channel: C0PRODUCT}\n", product)
    assert text.splitlines()[7 - 1] == "    channel: team product"
    (problem,) = problems(tmp_path, text)
    assert ":7:" in problem
    assert "departments.product.channel" in problem
    assert "'team product'" in problem


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL.replace("C0TRIAGE", "triage").replace("{channel: C0PRODUCT}", "{channel: product}")
    found = problems(tmp_path, text + "min_confidence: 1.5\n")
    assert len(found) == 3
    assert any(":4:" in p and "departments.product.channel" in p for p in found)
    assert any(":8:" in p and "triage_channel" in p for p in found)
    assert any(":9:" in p and "min_confidence" in p for p in found)


def test_yaml_syntax_error_reports_a_line(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, MINIMAL.replace("{channel: C0HR}", "{channel: C0HR"))
    assert "invalid YAML" in problem
    assert " line " in problem


@pytest.mark.parametrize("text", ["", "- a list\n- not a mapping\n"])
def test_a_file_that_is_not_a_mapping_is_rejected(tmp_path: Path, text: str) -> None:
    (problem,) = problems(tmp_path, text)
    assert "expected a mapping" in problem


def test_missing_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_rules(tmp_path / "absent.yaml")
    assert str(info.value).startswith("ROUTING_RULES: cannot read")


def test_unknown_keys_are_rejected_with_their_line(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("{channel: C0PRODUCT}", "{channel: C0PRODUCT, colour: red}") + "min_confidense: 0.5\n"
    )
    found = problems(tmp_path, text)
    assert any(":4:" in p and "departments.product.colour" in p and "Extra inputs" in p for p in found)
    assert any(":9:" in p and "min_confidense" in p for p in found)


def test_unknown_department_is_rejected(tmp_path: Path) -> None:
    (problem,) = problems(
        tmp_path, MINIMAL.replace("sales:   {channel: C0SALES}", "marketing: {channel: C0MKT}")
    )
    assert ":7:" in problem
    assert "departments.marketing" in problem
    assert "'product', 'support', 'hr' or 'sales'" in problem


def test_bad_regex_and_empty_rule_are_rejected(tmp_path: Path) -> None:
    text = MINIMAL + "rules:\n  - department: sales\n    regex: '(unclosed'\n  - department: hr\n"
    found = problems(tmp_path, text)
    assert any(":11:" in p and "rules.0.regex" in p and "invalid regular expression" in p for p in found)
    assert any(":12:" in p and "rules.1" in p and "at least one of keywords" in p for p in found)


def test_bad_escalation_target_is_rejected(tmp_path: Path) -> None:
    text = MINIMAL.replace("{channel: C0SUPPORT}", "{channel: C0SUPPORT, escalate: {ping: ['@bob']}}")
    (problem,) = problems(tmp_path, text)
    assert "departments.support.escalate.ping" in problem
    assert "'@bob'" in problem


def test_valid_digest_is_accepted(tmp_path: Path) -> None:
    digest = load_text(tmp_path, with_digest(timezone="America/New_York", period="24h")).digests[0]
    assert (digest.name, digest.timezone, digest.period) == ("weekly", "America/New_York", "24h")
    assert digest.departments == ["product", "support", "hr", "sales"]


@pytest.mark.parametrize(
    ("field", "value", "key", "message"),
    [
        ("cron", '"61 * * * *"', "digests.0.cron", "invalid cron expression '61 * * * *'"),
        ("cron", '"every monday"', "digests.0.cron", "invalid cron expression"),
        ("timezone", "Mars/Olympus", "digests.0.timezone", "unknown timezone 'Mars/Olympus'"),
        ("period", "7y", "digests.0.period", "expected a duration like 30m"),
        ("name", '"Weekly Digest"', "digests.0.name", "should match pattern"),
        ("departments", "[product, legal]", "digests.0.departments.1", "'product', 'support'"),
    ],
)
def test_bad_digest_fields_are_rejected(
    tmp_path: Path, field: str, value: str, key: str, message: str
) -> None:
    text = with_digest(**{field: value})
    rows = text.splitlines()
    start = rows.index("digests:")
    line = next(
        i for i, row in enumerate(rows[start:], start + 1) if row.lstrip("- ").startswith(f"{field}:")
    )
    (problem,) = problems(tmp_path, text)
    assert f":{line}: {key}:" in problem
    assert message in problem


def test_duplicate_digest_names_are_rejected(tmp_path: Path) -> None:
    entry = '  - {name: weekly, recipients: [C0TRIAGE], cron: "0 9 * * mon"}\n'
    (problem,) = problems(tmp_path, MINIMAL + "digests:\n" + entry + entry)
    assert "digest names must be unique: weekly" in problem


def test_bad_alert_durations_are_rejected(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + "alerts:\n  window: soon\n  cooldown: 0h\n  factor: 1\n")
    assert any(":10:" in p and "alerts.window" in p and "'soon'" in p for p in found)
    assert any(":11:" in p and "alerts.cooldown" in p and "'0h'" in p for p in found)
    assert any(":12:" in p and "alerts.factor" in p for p in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        (" 7D ", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "7", "1y", "-1h", "1.5h"])
def test_parse_duration_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)
