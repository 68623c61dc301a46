"""`sources:` in the rules file: valid entries load, and every problem names its key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.errors import ConfigError
from bot.domain.rules import load_rules
from tests.conftest import RULES_YAML

SOURCES = """\
sources:
  - name: reddit-brand
    type: reddit
    query: 'lumo OR "lumo app" -job'
    subreddits: [productivity]
    every: 5m
  - {name: hn, type: hackernews, query: lumo, every: 10m}
  - {name: bsky, type: bluesky, query: lumo, every: 5m}
  - {name: toots, type: mastodon, base_url: "https://mastodon.social", hashtag: lumo, every: 10m}
  - {name: reviews, type: feed, url: "https://example.com/reviews.rss", every: 30m, match: "lumo lang:en"}
"""


def problems(tmp_path: Path, sources: str) -> list[tuple[int, str]]:
    """(line, problem) pairs, lines counted in the whole file."""
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML + sources, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    offset = len(RULES_YAML.splitlines())
    found = []
    for problem in caught.value.problems:
        line = int(problem.split(":")[1])
        found.append((line - offset, problem.split(": ", 1)[1]))
    return found


def test_the_issue_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML + SOURCES, encoding="utf-8")
    rules = load_rules(path)
    assert [(s.name, s.type) for s in rules.sources] == [
        ("reddit-brand", "reddit"),
        ("hn", "hackernews"),
        ("bsky", "bluesky"),
        ("toots", "mastodon"),
        ("reviews", "feed"),
    ]
    assert rules.sources[0].interval.total_seconds() == 300


def test_no_sources_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    assert load_rules(path).sources == []


def test_each_source_problem_names_its_key_and_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "sources:\n"
        "  - name: r\n"  # 2
        "    type: reddit\n"
        "    every: 5m\n"
        "  - name: h\n"  # 5
        "    type: hackernews\n"
        "    query: 'lumo OR'\n"  # 7
        "    every: 30s\n"  # 8
        "  - {name: t, type: mastodon, hashtag: lumo}\n"  # 9
        "  - {name: f, type: feed, url: 'ftp://x/feed', colour: red}\n",  # 10
    )
    assert (2, "sources.0.query: query is required for type reddit (what to search for)") in found
    assert (7, "sources.1.query: 'OR' at position 6 needs a term on its right") in found
    assert any(
        line == 8 and text.startswith("sources.1.every: every must be at least 1m") for line, text in found
    )
    assert any(
        line == 9 and text.startswith("sources.2.base_url: base_url is required") for line, text in found
    )
    assert any(
        line == 10 and "sources.3.url" in text and "http:// or https:// or file://" in text
        for line, text in found
    )
    assert any(line == 10 and text.startswith("sources.3.colour: Extra inputs") for line, text in found)


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "sources:\n  - {name: a, type: hackernews, query: x}\n  - {name: a, type: hackernews, query: y}\n",
    )
    assert found == [(1, "sources: source names must be unique: a")]


def test_bluesky_credentials_come_from_the_environment_and_stay_out_of_repr() -> None:
    from bot.domain.settings import Settings

    settings = Settings.from_env({"BLUESKY_HANDLE": "me.bsky.social", "BLUESKY_APP_PASSWORD": "abcd-efgh"})
    assert settings.source_credentials == {
        "BLUESKY_HANDLE": "me.bsky.social",
        "BLUESKY_APP_PASSWORD": "abcd-efgh",
    }
    assert "abcd-efgh" not in repr(settings)
    assert Settings.from_env({}).source_credentials == {}
