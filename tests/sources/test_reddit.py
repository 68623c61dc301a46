"""Reddit listener against the fake search listing: paging, cursor resume, deletion, failures."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.intake.sources import SourceConfig, SourceHttp, poll_source
from tests.fakes.source_records import BASE_EPOCH, reddit_post
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import FakeTime, source


def _config(fake: FakeSources, **extra: object) -> SourceConfig:
    return source(type="reddit", query="lumo", base_url=fake.url("reddit"), **extra)


def test_first_poll_maps_posts_to_items(fake: FakeSources, http: SourceHttp) -> None:
    fake.reddit = [
        reddit_post(
            "a1", "Lumo crashes on start", body="Since the update it & <b>dies</b>", at=10, author="kim"
        ),
        reddit_post("a2", "Unrelated cooking post", at=20),
    ]
    result = poll_source(_config(fake), None, http)
    assert result.error is None
    [item] = result.items
    assert item.source_id == "reddit:t3_a1"
    assert item.source == "reddit"
    assert (
        item.text == "Lumo crashes on start\n\nSince the update it & <b>dies</b>"
    )  # Reddit bodies are markdown
    assert item.author == "kim"
    assert item.url == "https://www.reddit.com/r/productivity/comments/a1/slug/"
    assert item.created_at == datetime.fromtimestamp(BASE_EPOCH + 10, tz=UTC)
    [call] = fake.calls("reddit")
    assert call.params["sort"] == "new" and call.params["q"] == "lumo" and call.params["raw_json"] == "1"
    assert call.headers["user-agent"].startswith("social-router/")


def test_pages_with_after_until_the_cursor_floor(fake: FakeSources, http: SourceHttp) -> None:
    fake.reddit = [reddit_post(f"p{i}", f"lumo post {i}", at=i * 10) for i in range(250)]
    first = poll_source(_config(fake, max_pages=5), {"newest": BASE_EPOCH - 10_000, "seen": {}}, http)
    assert len(first.items) == 250
    assert [c.params.get("after") for c in fake.calls("reddit")] == [None, "t3_p150", "t3_p50"]
    assert [i.source_id for i in first.items][:2] == ["reddit:t3_p0", "reddit:t3_p1"]  # oldest first

    fake.reddit.append(reddit_post("new", "lumo is back", at=3000))
    second = poll_source(_config(fake), first.cursor, http)
    assert [i.source_id for i in second.items] == ["reddit:t3_new"]
    # One page reached the floor (15 minutes of overlap below the newest post seen): no more paging.
    assert len(fake.calls("reddit")) == 4


def test_first_poll_reads_one_page_only(fake: FakeSources, http: SourceHttp) -> None:
    fake.reddit = [reddit_post(f"p{i}", f"lumo {i}", at=i) for i in range(150)]
    result = poll_source(_config(fake), None, http)
    assert len(result.items) == 100
    assert len(fake.calls("reddit")) == 1


def test_subreddits_use_restricted_search(fake: FakeSources, http: SourceHttp) -> None:
    fake.reddit = [reddit_post("x", "lumo", sub="productivity"), reddit_post("y", "lumo", sub="other")]
    result = poll_source(_config(fake, subreddits=["productivity", "r/apps"]), None, http)
    assert [i.source_id for i in result.items] == ["reddit:t3_x"]
    [call] = fake.calls("reddit")
    assert call.path == "/reddit/r/productivity+apps/search.json" and call.params["restrict_sr"] == "on"


def test_post_deleted_between_pages_loses_nothing_else(fake: FakeSources, http: SourceHttp) -> None:
    fake.reddit = [reddit_post(f"p{i:03d}", f"lumo {i}", at=i) for i in range(250)]
    anchor = "t3_p150"  # the last post of page one, which `after` will name
    fake.after("reddit", 1, lambda: fake.reddit.remove(next(p for p in fake.reddit if p["name"] == anchor)))
    result = poll_source(_config(fake), {"newest": BASE_EPOCH - 10_000, "seen": {}}, http)
    assert result.error is None
    ids = {i.source_id for i in result.items}
    assert len(ids) == 250  # the deleted post was already read; every other post too
    afters = [c.params.get("after") for c in fake.calls("reddit")]
    assert afters[:3] == [None, anchor, "t3_p151"]  # empty listing, then its predecessor


def test_429_with_retry_after_is_waited_out(fake: FakeSources, http: SourceHttp, time_: FakeTime) -> None:
    fake.reddit = [reddit_post("a", "lumo")]
    fake.queue("reddit", status=429, body="<html>slow down</html>", headers={"Retry-After": "7"})
    result = poll_source(_config(fake), None, http)
    assert result.error is None and len(result.items) == 1
    assert time_.waits == [7.0]


def test_long_retry_after_is_reported_not_slept(fake: FakeSources, http: SourceHttp, time_: FakeTime) -> None:
    fake.queue("reddit", status=429, body="<html>slow down</html>", headers={"Retry-After": "3600"})
    result = poll_source(_config(fake), {"newest": 1.0, "seen": {}}, http)
    assert result.error is not None and "HTTP 429" in result.error
    assert result.retry_after == 3600.0
    assert result.cursor == {"newest": 1.0, "seen": {}}  # unchanged: the next poll starts at the same place
    assert time_.waits == []


def test_5xx_backs_off_then_succeeds(fake: FakeSources, http: SourceHttp, time_: FakeTime) -> None:
    fake.reddit = [reddit_post("a", "lumo")]
    fake.queue("reddit", status=503, body="<html>down</html>")
    fake.queue("reddit", status=502, body="<html>down</html>")
    assert len(poll_source(_config(fake), None, http).items) == 1
    assert time_.waits == [1.0, 2.0]


def test_persistent_outage_is_an_error_not_a_crash(fake: FakeSources, http: SourceHttp) -> None:
    for _ in range(4):
        fake.queue("reddit", status=500, body="<html>down</html>")
    result = poll_source(_config(fake), None, http)
    assert (
        result.items == []
        and "HTTP 500" in (result.error or "")
        and "gave up after 4" in (result.error or "")
    )


def test_malformed_bodies_are_errors(fake: FakeSources, http: SourceHttp) -> None:
    fake.queue("reddit", status=200, body="<html>not json</html>")
    assert "not JSON" in (poll_source(_config(fake), None, http).error or "")
    fake.queue("reddit", status=200, body={"kind": "t3"})
    assert "expected a Listing" in (poll_source(_config(fake), None, http).error or "")
    fake.queue(
        "reddit", status=200, body={"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {}}]}}
    )
    assert "lacks name, created_utc" in (poll_source(_config(fake), None, http).error or "")


def test_hostile_text_stays_plain(fake: FakeSources, http: SourceHttp) -> None:
    fake.reddit = [reddit_post("h", "lumo <!channel> <@U123> &amp;", body="<script>x</script>")]
    [item] = poll_source(_config(fake), None, http).items
    assert item.text == "lumo <!channel> <@U123> &amp;\n\n<script>x</script>"  # escaping happens at render
