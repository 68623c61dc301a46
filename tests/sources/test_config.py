"""The `sources:` schema: per-type requirements and clear (index, key, message) problems."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from bot.intake.sources import SourceList, validate_sources

GOOD: list[dict[str, Any]] = [
    {"name": "reddit-brand", "type": "reddit", "query": 'lumo OR "lumo app" -job', "subreddits": ["apps"]},
    {"name": "hn", "type": "hackernews", "query": "lumo", "every": "10m"},
    {"name": "bsky", "type": "bluesky", "query": "lumo", "every": "5m", "match": "lumo lang:en"},
    {
        "name": "toots",
        "type": "mastodon",
        "base_url": "https://mastodon.social/",
        "hashtag": "#lumo",
        "every": "1h",
    },
    {"name": "reviews", "type": "feed", "url": "https://example.com/reviews.rss", "every": "30m"},
    {"name": "demo", "type": "feed", "url": "file:///srv/feed.xml", "every": "1d", "max_pages": 1},
]


def test_the_issue_example_validates() -> None:
    sources, problems = validate_sources(GOOD)
    assert problems == []
    assert [s.name for s in sources] == [g["name"] for g in GOOD]
    toots = sources[3]
    assert toots.hashtag == "lumo" and toots.base_url == "https://mastodon.social"
    assert toots.interval == timedelta(hours=1)
    assert sources[0].api_root == "https://www.reddit.com" and sources[1].interval == timedelta(minutes=10)
    assert sources[2].filter_query == "lumo lang:en" and sources[1].filter_query == "lumo"


R = {"name": "x", "type": "reddit", "query": "q"}
H = {"name": "x", "type": "hackernews", "query": "q"}
M = {"name": "x", "type": "mastodon", "base_url": "https://m.s"}
F = {"name": "x", "type": "feed", "url": "https://e.x/f"}

BAD = [
    ({"name": "x", "type": "twitter", "query": "q"}, "type", "Input should be 'reddit', 'hackernews'"),
    ({**R, "every": "30s"}, "every", "every must be at least 1m"),
    ({**R, "every": "often"}, "every", "expected an interval like 5m"),
    ({**R, "every": "0m"}, "every", "expected an interval"),
    ({"name": "x", "type": "reddit"}, "query", "query is required for type reddit"),
    ({"name": "x", "type": "hackernews", "query": "a OR"}, "query", "'OR' at position 3 needs a term"),
    ({**F, "match": '"open'}, "match", "unclosed quote"),
    ({"name": "x", "type": "mastodon", "hashtag": "lumo"}, "base_url", "base_url is required for type"),
    ({"name": "x", "type": "mastodon", "base_url": "https://m.s"}, "hashtag", "hashtag is required"),
    ({**M, "hashtag": "lu mo"}, "hashtag", "not a hashtag"),
    ({"name": "x", "type": "feed"}, "url", "url is required for type feed"),
    ({"name": "x", "type": "feed", "url": "ftp://e.x/f"}, "url", "expected a URL starting with http://"),
    ({"name": "x", "type": "feed", "url": "file://"}, "url", "a file:// URL needs a path"),
    ({**R, "base_url": "reddit.com"}, "base_url", "expected a URL"),
    ({**R, "subreddits": ["no spaces"]}, "subreddits", "not a subreddit"),
    ({**H, "subreddits": ["apps"]}, "subreddits", "not used by type"),
    ({**F, "base_url": "https://e.x"}, "base_url", "not used"),
    ({**R, "max_pages": 0}, "max_pages", "greater than or equal to 1"),
    ({**R, "colour": "red"}, "colour", "Extra inputs are not permitted"),
    ({"name": "bad name!", "type": "reddit", "query": "q"}, "name", "should match pattern"),
    ({"type": "reddit", "query": "q"}, "name", "Field required"),
]


@pytest.mark.parametrize(("entry", "key", "message"), BAD)
def test_problems_name_the_key(entry: dict[str, object], key: str, message: str) -> None:
    sources, problems = validate_sources([entry])
    assert sources == []
    assert [(index, k) for index, k, _ in problems] == [(0, key)]
    assert message in problems[0][2]


def test_duplicates_and_non_mappings_are_reported_with_their_index() -> None:
    raw = [GOOD[1], "hn", {**GOOD[1]}]
    sources, problems = validate_sources(raw)
    assert [s.name for s in sources] == ["hn"]
    assert problems == [
        (1, "", "expected a mapping with name, type and every"),
        (2, "name", "duplicate source name 'hn' (also entry 0)"),
    ]
    assert validate_sources(None) == ([], [])
    assert validate_sources({"name": "x"}) == ([], [(-1, "", "sources must be a list of entries")])


def test_source_list_embeds_in_a_rules_model() -> None:
    class Rules(BaseModel):
        sources: SourceList = Field(default_factory=list)

    assert len(Rules.model_validate({"sources": GOOD}).sources) == 6
    with pytest.raises(ValidationError) as raised:
        Rules.model_validate({"sources": [GOOD[1], GOOD[1]]})
    assert "source names must be unique: hn" in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        Rules.model_validate({"sources": [{**GOOD[1], "every": "10s"}]})
    assert raised.value.errors()[0]["loc"] == ("sources", 0, "every")
