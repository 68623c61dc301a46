"""Channel resolution and `check` against the fake Slack Web API: cursors followed, problems named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.domain.rules import RoutingRules
from bot.slack.directory import check_channels, describe_loc, resolve_channel_names
from tests.fakes.slack_server import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.base_url)


def test_names_resolve_across_pages(slack: FakeSlack) -> None:
    slack.channels["zz-last-page"] = "C0LAST"
    mapping = resolve_channel_names(_client(slack), ["#zz-last-page", "C0PRODUCT", "#missing"], page_size=2)
    assert mapping == {"#zz-last-page": "C0LAST", "C0PRODUCT": "C0PRODUCT"}
    pages = slack.calls("conversations.list")
    assert len(pages) > 1 and any(page.get("cursor") for page in pages)  # followed next_cursor


def test_check_accepts_a_workspace_where_every_channel_exists(slack: FakeSlack, rules: RoutingRules) -> None:
    assert check_channels(_client(slack), rules) == []


def test_check_names_missing_and_unreachable_channels(slack: FakeSlack, rules: RoutingRules) -> None:
    del slack.channels[next(name for name, cid in slack.channels.items() if cid == "C0SALES")]
    slack.private.add("C0HR")
    slack.outside.add("C0HR")
    problems = {describe_loc(loc): text for loc, text in check_channels(_client(slack), rules)}
    assert problems["departments.sales.channel"] == "C0SALES: not found (or the bot cannot see it)"
    assert problems["departments.hr.channel"].startswith("C0HR: the bot is not a member")
    assert len(problems) == 2
