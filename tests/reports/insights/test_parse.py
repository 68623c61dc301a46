"""Parsing the text after /insights."""

from __future__ import annotations

import pytest

from bot.reports.insights.parse import Command, UsageError, parse_command

DEPTS = ("product", "support", "hr", "sales")


def test_subcommands_and_arguments() -> None:
    assert parse_command("", DEPTS) == Command("help")
    assert parse_command("stats", DEPTS) == Command("stats", period="7d")
    assert parse_command("STATS support 30d", DEPTS) == Command("stats", period="30d", department="support")
    assert parse_command("top hr week", DEPTS) == Command("top", period="7d", department="hr")
    assert parse_command("search  refund   late", DEPTS) == Command("search", query="refund   late")
    assert parse_command("digest", DEPTS) == Command("digest")
    assert parse_command("ask why?", DEPTS).query == "why?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nope", "I don't know `nope`"),
        ("stats 90d", "`90d` is neither a period"),
        ("top", "needs a department"),
        ("top 7d", "needs a department"),
        ("search", "needs some words"),
        ("digest a b", "Usage: `/insights digest [department]`"),
        ("x<!here>`", "I don't know `x&lt;!here&gt;'`"),
    ],
)
def test_bad_input_gets_a_friendly_message(text: str, expected: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_command(text, DEPTS)
    assert expected in str(error.value)
