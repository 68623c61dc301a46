"""Feed listener: RSS 2.0, Atom and JSON Feed from the fake, conditional GET (304), file:// and the sample."""

from __future__ import annotations

from pathlib import Path

import bot
from bot.intake.sources import SourceConfig, SourceHttp, poll_source
from tests.fakes.source_records import atom, json_feed, rss
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import source

ENTRIES = [
    {"guid": "r1", "title": "Lumo review", "description": "<p>Great <b>app</b> &amp; fast</p>"},
    {"guid": "r2", "title": "Lumo <!channel> help", "description": "Cannot log in"},
]


def _config(url: str, **extra: object) -> SourceConfig:
    return source(name="reviews", type="feed", url=url, **extra)


def test_rss_items_and_304_when_unchanged(fake: FakeSources, http: SourceHttp) -> None:
    fake.set_feed("reviews.rss", rss(ENTRIES, lang="en-GB"))
    first = poll_source(_config(fake.url("feed") + "/reviews.rss"), None, http)
    assert [i.source_id for i in first.items] == ["feed:reviews:r1", "feed:reviews:r2"]
    review, hostile = first.items
    assert review.text == "Lumo review\n\nGreat app & fast" and review.lang == "en-GB"
    assert (
        review.url == "https://example.com/r1"
        and review.created_at.isoformat() == "2025-06-15T15:06:40+00:00"
    )
    assert hostile.text == "Lumo <!channel> help\n\nCannot log in"  # plain text; the card escapes it
    assert first.cursor["etag"] and first.cursor["last_modified"]

    second = poll_source(_config(fake.url("feed") + "/reviews.rss"), first.cursor, http)
    assert second.items == [] and second.cursor == first.cursor and second.error is None
    conditional = fake.calls("feed")[-1].headers
    assert conditional["if-none-match"] == first.cursor["etag"]
    assert conditional["if-modified-since"] == first.cursor["last_modified"]


def test_changed_feed_returns_only_new_entries(fake: FakeSources, http: SourceHttp) -> None:
    url = fake.url("feed") + "/reviews.rss"
    fake.set_feed("reviews.rss", rss(ENTRIES))
    first = poll_source(_config(url), None, http)
    fake.set_feed("reviews.rss", rss([{"guid": "r3", "title": "Lumo pricing?"}, *ENTRIES]))
    second = poll_source(_config(url), first.cursor, http)
    assert [i.source_id for i in second.items] == ["feed:reviews:r3"]
    assert second.cursor["seen"][:3] == ["r3", "r1", "r2"] and second.cursor["etag"] != first.cursor["etag"]


def test_atom_and_json_feed(fake: FakeSources, http: SourceHttp) -> None:
    fake.set_feed("blog.atom", atom(ENTRIES), "application/atom+xml")
    fake.set_feed("notes.json", json_feed(ENTRIES), "application/feed+json")
    atom_items = poll_source(_config(fake.url("feed") + "/blog.atom"), None, http).items
    json_items = poll_source(_config(fake.url("feed") + "/notes.json"), None, http).items
    for items in (atom_items, json_items):
        assert [i.text for i in items] == [
            "Lumo review\n\nGreat app & fast",
            "Lumo <!channel> help\n\nCannot log in",
        ]
        assert items[0].url == "https://example.com/r1" and items[0].lang == "en"
    assert atom_items[0].author == "Reviewer" and json_items[0].author == "Writer"


def test_match_filter_applies_to_feeds(fake: FakeSources, http: SourceHttp) -> None:
    fake.set_feed("reviews.rss", rss(ENTRIES))
    result = poll_source(_config(fake.url("feed") + "/reviews.rss", match='"log in" OR pricing'), None, http)
    assert [i.source_id for i in result.items] == ["feed:reviews:r2"] and result.fetched == 2


def test_malformed_feeds_are_errors(fake: FakeSources, http: SourceHttp) -> None:
    fake.set_feed("bad.rss", b"<html><body>Sorry, this page moved</body>", "text/html")
    fake.set_feed("bad.json", b'{"items": []}', "application/json")
    fake.set_feed("broken.json", b"{not json", "application/json")
    assert "malformed feed" in (poll_source(_config(fake.url("feed") + "/bad.rss"), None, http).error or "")
    assert "jsonfeed.org" in (poll_source(_config(fake.url("feed") + "/bad.json"), None, http).error or "")
    assert "invalid JSON" in (poll_source(_config(fake.url("feed") + "/broken.json"), None, http).error or "")
    assert "HTTP 404" in (poll_source(_config(fake.url("feed") + "/missing"), None, http).error or "")


def test_file_url_and_unchanged_file(tmp_path: Path, http: SourceHttp) -> None:
    path = tmp_path / "reviews.xml"
    path.write_bytes(rss(ENTRIES))
    first = poll_source(_config(path.as_uri()), None, http)
    assert len(first.items) == 2 and first.cursor["file_stamp"]
    assert poll_source(_config(path.as_uri()), first.cursor, http).items == []
    missing = poll_source(_config((tmp_path / "nope.xml").as_uri()), None, http)
    assert "cannot read feed file" in (missing.error or "")


def test_bundled_sample_feed_parses_offline(http: SourceHttp) -> None:
    sample = Path(bot.__file__).parent / "samples" / "feed.xml"
    result = poll_source(source(name="demo", type="feed", url=sample.as_uri()), None, http)
    assert result.error is None and 5 <= len(result.items) <= 8
    assert all(i.source_id.startswith("feed:demo:lumo-sample-") and "Lumo" in i.text for i in result.items)
    assert all(i.author and i.url.startswith("https://") for i in result.items)
    assert any("refund" in i.text for i in result.items) and any(
        "Synchronisierung" in i.text for i in result.items
    )
