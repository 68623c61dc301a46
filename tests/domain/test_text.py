"""Tests for bot.domain.text: Slack markup to plain text, escaping for cards, normalisation for dedupe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain.text import (
    MAX_MENTION_CHARS,
    ZERO_WIDTH,
    clean_plain,
    escape_for_slack,
    normalise,
    slack_to_plain,
    text_hash,
    truncate,
)


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("<!channel> the app is down", "@channel the app is down"),
        ("<!here> anyone?", "@here anyone?"),
        ("<!here|here> anyone?", "@here anyone?"),
        ("<!everyone> hi", "@everyone hi"),
        ("ping <!subteam^S1|@team> now", "ping @team now"),
        ("ping <!subteam^S0ONCALL>", "ping @S0ONCALL"),
        ("thanks <@U1|bob>", "thanks @bob"),
        ("thanks <@U0ABC>", "thanks @U0ABC"),
        ("see <#C1|general>", "see #general"),
        ("see <#C0SOCIAL>", "see #C0SOCIAL"),
        ("read <https://x.example/a?b=1&amp;c=2|label>", "read label (https://x.example/a?b=1&c=2)"),
        ("read <https://x.example/post>", "read https://x.example/post"),
        ("mail <mailto:a@b.example|us>", "mail us (mailto:a@b.example)"),
        ("posted <!date^1392734382^{date}|Feb 18>", "posted Feb 18"),
        ("&amp;&lt;&gt;", "&<>"),
        ("fish &amp; chips &lt;3", "fish & chips <3"),
    ],
)
def test_slack_to_plain(markup: str, plain: str) -> None:
    assert slack_to_plain(markup) == plain


def test_plain_text_without_markup_is_unchanged() -> None:
    text = "Love the new update! 5/5, would recommend :)"
    assert slack_to_plain(text) == text


def test_escape_for_slack_escapes_markup_characters() -> None:
    assert escape_for_slack("fish & chips <3 > 2") == "fish &amp; chips &lt;3 &gt; 2"


def test_escape_for_slack_makes_special_mentions_inert() -> None:
    escaped = escape_for_slack("<!channel> <@U1> <!subteam^S1>")
    assert "<" not in escaped and ">" not in escaped
    assert escaped == "&lt;!channel&gt; &lt;@U1&gt; &lt;!subteam^S1&gt;"


@pytest.mark.parametrize("word", ["@channel", "@here", "@everyone", "@Channel", "@HERE"])
def test_escape_for_slack_neutralises_plain_pings(word: str) -> None:
    escaped = escape_for_slack(f"hey {word} look")
    assert word not in escaped
    assert escaped == f"hey @{ZERO_WIDTH}{word[1:]} look"


def test_escape_for_slack_leaves_lookalike_words_alone() -> None:
    assert escape_for_slack("@hereford cattle, mail me@channels.example") == (
        "@hereford cattle, mail me@channels.example"
    )


def test_slack_event_text_is_escaped_exactly_once_end_to_end() -> None:
    # Text from a Slack event is already escaped; plain → escape must give it back, not &amp;amp;.
    incoming = "Q&amp;A: is 2 &lt; 3? &lt;3"
    assert escape_for_slack(slack_to_plain(incoming)) == incoming
    assert "&amp;amp;" not in escape_for_slack(slack_to_plain(incoming))


def test_hostile_slack_text_cannot_ping_after_the_round_trip() -> None:
    card = escape_for_slack(slack_to_plain("<!channel> <!here> <!subteam^S1|@devs> <@U1|boss> refund NOW"))
    for markup in ("<!channel>", "<!here>", "<!subteam", "<@U1"):
        assert markup not in card
    assert "@channel" not in card and "@here" not in card
    assert card.endswith("@devs @boss refund NOW")


def test_copies_of_one_text_normalise_to_the_same_hash() -> None:
    original = "Your checkout page keeps crashing on Android https://t.co/abc123"
    copies = [
        "RT @someone: Your checkout page keeps crashing on Android https://t.co/zzz",
        "your   CHECKOUT page keeps crashing\non android",
        "  Your checkout page keeps crashing on Android  ",
    ]
    assert normalise(original) == "your checkout page keeps crashing on android"
    for copy in copies:
        assert normalise(copy) == normalise(original)
        assert text_hash(copy) == text_hash(original)


def test_different_texts_hash_differently() -> None:
    assert text_hash("the app crashes on login") != text_hash("the app crashes on logout")
    assert len(text_hash("x")) == 64


def test_rt_prefix_only_folds_at_the_start() -> None:
    assert normalise("I said RT @bob: nothing") == "i said rt @bob: nothing"


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("exactly10!", 10) == "exactly10!"
    cut = truncate("hello wonderful world", 10)
    assert cut == "hello won…"
    assert len(cut) <= 10
    assert truncate("hello     world", 10) == "hello…"  # no dangling spaces before the ellipsis


def test_clean_plain_strips_control_characters_and_keeps_lines() -> None:
    assert clean_plain("  a\x00b\x07c\r\n\td\x1b[31m  ") == "abc\n\td[31m"


def test_clean_plain_bounds_a_100kb_input() -> None:
    huge = "spam " * 20_480  # 100 KB
    cleaned = clean_plain(huge)
    assert len(cleaned) == MAX_MENTION_CHARS + 1
    assert cleaned.endswith("…")
    assert cleaned.startswith("spam spam")


def test_clean_plain_keeps_non_latin_text() -> None:
    text = "Приложение падает — aplikacja się zawiesza — 应用崩溃 😡"
    assert clean_plain(text) == text


def test_bundled_demo_retweet_pair_hashes_equal() -> None:
    path = Path(__file__).resolve().parents[2] / "bot" / "samples" / "demo_mentions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    retweets = [row for row in rows if row["text"].startswith("RT @")]
    assert retweets, "the demo file keeps one retweet/copy pair to show dedupe"
    originals = [
        row
        for row in rows
        if row is not retweets[0] and text_hash(row["text"]) == text_hash(retweets[0]["text"])
    ]
    assert [row["author"] for row in originals] == ["@angry_ana"]
