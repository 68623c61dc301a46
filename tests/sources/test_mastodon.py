"""Mastodon listener against the fake tag timeline: min_id paging forward, resume, HTML content."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.intake.sources import SourceConfig, SourceHttp, poll_source, start_cursor
from bot.intake.sources.mastodon import min_id_at
from tests.fakes.source_records import masto_status
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import FakeTime, source


def _config(fake: FakeSources, **extra: object) -> SourceConfig:
    return source(type="mastodon", hashtag="#lumo", base_url=fake.url("masto"), **extra)


def test_statuses_become_items(fake: FakeSources, http: SourceHttp) -> None:
    fake.masto = [
        masto_status(
            101,
            '<p>I <3 <a href="https://x/tags/lumo">#<span>lumo</span></a> &lt;!channel&gt;</p>',
            lang="de",
        )
    ]
    [item] = poll_source(_config(fake), None, http).items
    host = fake.root.removeprefix("http://")
    assert item.source_id == f"mastodon:{host}:101"
    assert item.text == "I <3 #lumo <!channel>"
    assert item.lang == "de" and item.author == "fan@example.social"
    assert item.url == "https://example.social/@fan/101"
    [call] = fake.calls("masto")
    assert call.path == "/masto/api/v1/timelines/tag/lumo" and call.params == {"limit": "40"}


def test_resume_pages_forward_with_min_id(fake: FakeSources, http: SourceHttp) -> None:
    fake.masto = [masto_status(i, f"lumo {i}", at=i) for i in range(1, 11)]
    first = poll_source(_config(fake), None, http)
    assert first.cursor == {"min_id": "10"} and len(first.items) == 10
    fake.masto += [masto_status(i, f"lumo {i}", at=i) for i in range(11, 111)]  # 100 new: three pages of 40
    second = poll_source(_config(fake), first.cursor, http)
    assert [i.text for i in second.items][:2] == ["lumo 11", "lumo 12"] and len(second.items) == 100
    assert [c.params.get("min_id") for c in fake.calls("masto")[1:]] == ["10", "50", "90"]
    assert second.cursor == {"min_id": "110"}
    assert poll_source(_config(fake), second.cursor, http).items == []


def test_max_pages_bounds_a_poll_and_the_next_one_continues(fake: FakeSources, http: SourceHttp) -> None:
    fake.masto = [masto_status(i, f"lumo {i}", at=i) for i in range(1, 201)]
    first = poll_source(_config(fake, max_pages=2), {"min_id": "0"}, http)
    assert len(first.items) == 80 and first.cursor == {"min_id": "80"}
    second = poll_source(_config(fake, max_pages=2), first.cursor, http)
    assert second.items[0].text == "lumo 81"


def test_deleted_between_pages(fake: FakeSources, http: SourceHttp) -> None:
    fake.masto = [masto_status(i, f"lumo {i}", at=i) for i in range(1, 101)]
    fake.after("masto", 1, lambda: fake.masto.pop(39))  # status 40, the page's newest, is deleted
    result = poll_source(_config(fake), {"min_id": "0"}, http)
    assert len(result.items) == 100 and result.cursor == {"min_id": "100"}


def test_rate_limit_reset_header_is_used_when_no_retry_after(
    fake: FakeSources, http: SourceHttp, time_: FakeTime
) -> None:
    fake.masto = [masto_status(1, "lumo")]
    reset = datetime.now(UTC).replace(microsecond=0).timestamp() + 3600
    fake.queue(
        "masto",
        status=429,
        body={"error": "Too many requests"},
        headers={"X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).isoformat()},
    )
    result = poll_source(_config(fake), None, http)
    assert result.error is not None and "Too many requests" in result.error
    assert result.retry_after is not None and 3500 < result.retry_after <= 3600


def test_start_cursor_for_backfill() -> None:
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    assert int(min_id_at(moment)) >> 16 == int(moment.timestamp() * 1000)
    config = source(type="mastodon", hashtag="lumo", base_url="https://mastodon.social")
    assert start_cursor(config, moment) == {"min_id": str(int(min_id_at(moment)) - 1)}


def test_malformed(fake: FakeSources, http: SourceHttp) -> None:
    fake.queue("masto", body={"error": "This method requires an authenticated user"})
    assert "expected a list of statuses" in (poll_source(_config(fake), None, http).error or "")
