"""The Web API helpers against the fake Slack: cursor paging followed to the end, DMs opened once each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.client import open_dm, paginate
from tests.fakes.slack_server import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.base_url)


def test_paginate_follows_every_cursor(slack: FakeSlack) -> None:
    ids = [c["id"] for c in paginate(_client(slack), "conversations.list", "channels", limit=2)]
    assert sorted(ids) == sorted(slack.channels.values())
    pages = slack.calls("conversations.list")
    assert len(pages) == 3  # six channels, two per page
    assert [p.get("cursor") for p in pages] == [None, "2", "4"]


def test_paginate_accepts_the_sdk_spelling_and_passes_parameters(slack: FakeSlack) -> None:
    slack.members["C0HR"] = ["U1", "U2", "U3"]
    members = list(paginate(_client(slack), "conversations_members", "members", limit=2, channel="C0HR"))
    assert members == ["U1", "U2", "U3"]
    assert {p["channel"] for p in slack.calls("conversations.members")} == {"C0HR"}


def test_paginate_raises_slack_errors_to_the_caller(slack: FakeSlack) -> None:
    slack.queue("conversations.list", status=429, headers={"Retry-After": "3"})
    with pytest.raises(SlackApiError):
        list(paginate(_client(slack), "conversations.list", "channels"))


def test_open_dm_returns_the_conversation_id(slack: FakeSlack) -> None:
    assert open_dm(_client(slack), "U0PRODMGR") == "D0PRODMGR"
    assert slack.calls("conversations.open") == [{"users": "U0PRODMGR"}]
