"""Restricted departments: texts only for members of their channel, checked over HTTP and cached."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.domain.rules import RoutingRules
from bot.reports.visibility import Visibility
from tests.fakes.slack_server import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    # five members so the fake's default page size of 2 forces three pages (cursor following)
    fake.members["C0HR"] = ["UA", "UB", "UC", "UD", "UHR"]
    with fake:
        yield fake


def _client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.base_url)


def test_members_of_a_restricted_channel_see_texts_others_do_not(
    slack: FakeSlack, rules: RoutingRules
) -> None:
    visibility = Visibility(_client(slack), rules, page_size=2)
    assert visibility.can_see_texts("UHR", "hr") is True  # last page of the member list
    assert visibility.can_see_texts("UOUTSIDER", "hr") is False
    assert visibility.can_see_texts("UOUTSIDER", "support") is True  # not restricted
    assert [b["channel"] for b in slack.calls("conversations.members")] == ["C0HR"] * 3
    assert [b.get("cursor") for b in slack.calls("conversations.members")] == [None, "2", "4"]


def test_membership_is_cached_until_the_ttl_expires(slack: FakeSlack, rules: RoutingRules) -> None:
    now = [100.0]
    visibility = Visibility(_client(slack), rules, ttl=60.0, clock=lambda: now[0], page_size=2)
    assert visibility.can_see_texts("UA", "hr")
    assert visibility.can_see_texts("UB", "hr")
    assert len(slack.calls("conversations.members")) == 3  # one pass over the pages for both checks
    slack.members["C0HR"].remove("UA")
    now[0] += 61
    assert not visibility.can_see_texts("UA", "hr")  # refreshed after the TTL


def test_failures_and_missing_client_deny_texts(slack: FakeSlack, rules: RoutingRules) -> None:
    slack.queue("conversations.members", body={"ok": False, "error": "channel_not_found"})
    assert Visibility(_client(slack), rules).can_see_texts("UHR", "hr") is False
    assert Visibility(None, rules).can_see_texts("UHR", "hr") is False
    assert Visibility(None, rules).can_see_texts("UHR", "product") is True


def test_channel_names_are_resolved_following_cursors(slack: FakeSlack, rules: RoutingRules) -> None:
    slack.channels["people-team"] = "C0ZPEOPLE"  # sorts last: found on the third page of two
    slack.members["C0ZPEOPLE"] = ["UHR"]
    hr = rules.departments["hr"].model_copy(update={"channel": "#people-team"})
    named = rules.model_copy(update={"departments": {**rules.departments, "hr": hr}})
    visibility = Visibility(_client(slack), named, page_size=2)
    assert visibility.can_see_texts("UHR", "hr") is True
    assert len(slack.calls("conversations.list")) == 4
    assert slack.calls("conversations.members")[0]["channel"] == "C0ZPEOPLE"
    assert visibility.can_see_texts("UA", "hr") is False
    assert visibility.visible_departments("UOUTSIDER", ["hr", "sales"]) == {"sales"}
