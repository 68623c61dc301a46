"""Bluesky listener against the fake searchPosts: cursor paging, since, optional login, token expiry."""

from __future__ import annotations

import pytest

from bot.intake.sources import SourceConfig, SourceHttp, poll_source
from tests.fakes.source_records import BASE_EPOCH, bsky_post
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import FakeTime, source


def _config(fake: FakeSources) -> SourceConfig:
    return source(type="bluesky", query="lumo", base_url=fake.url("bsky"))


def test_posts_become_items(fake: FakeSources, http: SourceHttp) -> None:
    fake.bsky = [bsky_post("3k1", "Lumo <!here> is lovely", at=3, handle="ana.bsky.social", langs=["pt-BR"])]
    [item] = poll_source(_config(fake), None, http).items
    assert item.source_id == "bluesky:at://did:plc:ana/app.bsky.feed.post/3k1"
    assert item.url == "https://bsky.app/profile/ana.bsky.social/post/3k1"
    assert item.text == "Lumo <!here> is lovely" and item.lang == "pt-BR" and item.author == "ana.bsky.social"
    assert item.created_at.timestamp() == BASE_EPOCH + 3
    [call] = fake.calls("bsky")
    assert call.params == {"q": "lumo", "sort": "latest", "limit": "100"}


def test_cursor_paging_and_resume_with_since(fake: FakeSources, http: SourceHttp) -> None:
    fake.bsky = [bsky_post(f"r{i:03d}", f"lumo {i}", at=i * 10) for i in range(230)]
    first = poll_source(_config(fake), {"newest": BASE_EPOCH - 10_000, "seen": {}}, http)
    assert len(first.items) == 230
    calls = fake.calls("bsky")
    assert len(calls) == 3 and "cursor" not in calls[0].params and calls[1].params["cursor"]
    fake.bsky.append(bsky_post("zzz", "lumo fresh", at=5000))
    second = poll_source(_config(fake), first.cursor, http)
    assert [i.text for i in second.items] == ["lumo fresh"]
    assert (
        fake.calls("bsky")[-1].params["since"] == "2025-06-15T15:29:50.000Z"
    )  # newest seen (15:44:50) − 15 min


def test_public_appview_refusal_explains_credentials(fake: FakeSources, http: SourceHttp) -> None:
    fake.bsky_requires_auth = True
    result = poll_source(_config(fake), None, http)
    assert "HTTP 403" in (result.error or "") and "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD" in (
        result.error or ""
    )


@pytest.fixture
def logged_in(time_: FakeTime) -> SourceHttp:
    creds = {"BLUESKY_HANDLE": "bot.bsky.social", "BLUESKY_APP_PASSWORD": "app-pass"}
    return SourceHttp(sleep=time_.sleep, clock=time_.clock, pacing=False, credentials=creds)


def test_login_once_and_reuse_session(fake: FakeSources, logged_in: SourceHttp) -> None:
    fake.bsky_requires_auth = True
    fake.bsky_accounts = {"bot.bsky.social": "app-pass"}
    fake.bsky = [bsky_post("a", "lumo")]
    first = poll_source(_config(fake), None, logged_in)
    assert len(first.items) == 1
    poll_source(_config(fake), first.cursor, logged_in)
    [login] = fake.calls("bsky-session")
    assert login.body == {"identifier": "bot.bsky.social", "password": "app-pass"}
    assert all(c.headers["authorization"].startswith("Bearer jwt-") for c in fake.calls("bsky"))
    fake.expire_bsky_tokens()
    assert poll_source(_config(fake), None, logged_in).error is None  # 400 ExpiredToken → log in again
    assert len(fake.calls("bsky-session")) == 2
    logged_in.close()


def test_wrong_password_is_an_error(fake: FakeSources, logged_in: SourceHttp) -> None:
    fake.bsky_accounts = {"bot.bsky.social": "other"}
    result = poll_source(_config(fake), None, logged_in)
    assert "HTTP 401" in (result.error or "") and "Invalid identifier or password" in (result.error or "")
    logged_in.close()


def test_malformed(fake: FakeSources, http: SourceHttp) -> None:
    fake.queue("bsky", body={"cursor": "x"})
    assert "no posts list" in (poll_source(_config(fake), None, http).error or "")
    fake.queue(
        "bsky", body={"posts": [{"uri": "at://x/app.bsky.feed.post/1", "record": {}, "author": {"did": "d"}}]}
    )
    assert "lacks createdAt" in (poll_source(_config(fake), None, http).error or "")
