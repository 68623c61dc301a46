"""poll_source: one failing source never stops another; backfill cursors; ordering and mention shape."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.intake.sources import SourceHttp, poll_source, probe_source, start_cursor
from bot.intake.sources.items import OVERLAP_SECONDS
from tests.fakes.source_records import BASE_EPOCH, hn_hit, reddit_post
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import source


def test_one_failing_source_does_not_stop_the_next(fake: FakeSources, http: SourceHttp) -> None:
    fake.hn = [hn_hit(1, title="lumo")]
    for _ in range(4):
        fake.queue("reddit", status=503, body="<html>down</html>")
    broken = source(name="r", type="reddit", query="lumo", base_url=fake.url("reddit"))
    working = source(name="h", type="hackernews", query="lumo", base_url=fake.url("hn"))
    results = [poll_source(config, {"newest": 5.0}, http) for config in (broken, working)]
    assert not results[0].ok and results[0].cursor == {"newest": 5.0} and results[0].items == []
    assert results[1].ok and [i.source_id for i in results[1].items] == ["hn:1"]


def test_an_unforeseen_body_shape_is_contained(fake: FakeSources, http: SourceHttp) -> None:
    # created_utc that is not a number: not a case the fetcher checks, still no exception escapes.
    bad = {"kind": "t3", "data": {**reddit_post("a", "lumo"), "created_utc": ["nope"]}}
    fake.queue("reddit", body={"kind": "Listing", "data": {"children": [bad], "after": None}})
    result = poll_source(source(type="reddit", query="lumo", base_url=fake.url("reddit")), None, http)
    assert result.items == [] and (result.error or "").startswith("unexpected TypeError")


def test_items_are_ordered_oldest_first_and_shaped_as_mentions(fake: FakeSources, http: SourceHttp) -> None:
    fake.reddit = [reddit_post("b", "lumo two", at=20), reddit_post("a", "lumo one", at=10)]
    result = probe_source(source(type="reddit", query="lumo", base_url=fake.url("reddit")), http)
    assert [i.source_id for i in result.items] == ["reddit:t3_a", "reddit:t3_b"]
    assert result.items[0].as_mention() == {
        "id": "reddit:t3_a",
        "text": "lumo one",
        "source": "reddit",
        "author": "redditor",
        "url": "https://www.reddit.com/r/productivity/comments/a/slug/",
        "created_at": datetime.fromtimestamp(BASE_EPOCH + 10, tz=UTC).isoformat(),
        "lang": None,
    }


def test_start_cursor_reaches_back_to_since(fake: FakeSources, http: SourceHttp) -> None:
    since = datetime.fromtimestamp(BASE_EPOCH + 100, tz=UTC)
    config = source(type="hackernews", query="lumo", base_url=fake.url("hn"), max_pages=20)
    cursor = start_cursor(config, since)
    assert cursor == {"newest": BASE_EPOCH + 100 + OVERLAP_SECONDS, "seen": {}}
    fake.hn = [hn_hit(i, title="lumo", at=i) for i in range(50, 150)]
    result = poll_source(config, cursor, http)
    assert len(result.items) == 50  # from `since` on
    assert fake.calls("hn")[0].params["numericFilters"] == f"created_at_i>={BASE_EPOCH + 100}"
    assert start_cursor(source(type="feed", url="file:///x.xml"), since) == {}
