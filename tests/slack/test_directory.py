"""Channel resolution and `check` against the fake Slack Web API: cursors followed, problems named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.domain.rules import RoutingRules, load_rules
from bot.slack.directory import (
    NOT_FOUND,
    ChannelState,
    check_channels,
    describe_loc,
    join_channels,
    problem_with,
    resolve_channel_names,
)
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
    slack.outside.add("C0HR")  # a private channel the bot is not in: Slack hides it from the bot
    problems = {describe_loc(loc): text for loc, text in check_channels(_client(slack), rules)}
    assert problems["departments.sales.channel"] == f"C0SALES: {NOT_FOUND}"
    assert problems["departments.hr.channel"] == f"C0HR: {NOT_FOUND}"
    assert "/invite" in NOT_FOUND
    assert len(problems) == 2


def test_check_names_channels_the_bot_is_not_in_by_id_and_by_name(slack: FakeSlack, rules_file: Path) -> None:
    text = rules_file.read_text().replace("channel: C0PRODUCT", "channel: '#team-product'")
    rules_file.write_text(text.replace("channels: [C0SOCIAL]", "channels: [C0SOCIAL, '#team-support']"))
    slack.outside.update({"C0SOCIAL", "C0PRODUCT", "C0SUPPORT"})  # public channels, not joined yet
    slack.private.add("C0HR")
    slack.members["C0HR"] = ["UBOT"]  # a private channel the bot was invited to: fine
    problems = {
        describe_loc(loc): text for loc, text in check_channels(_client(slack), load_rules(rules_file))
    }
    not_member = "the bot is not a member: `python -m bot serve` joins public channels at start-up"
    assert problems["watch.channels[0]"].startswith(f"C0SOCIAL (#social-mentions): {not_member}")
    assert problems["watch.channels[1]"].startswith(f"#team-support (C0SUPPORT): {not_member}")
    assert problems["departments.product.channel"].startswith(f"#team-product (C0PRODUCT): {not_member}")
    assert problems["departments.support.channel"].startswith("C0SUPPORT (#team-support)")
    assert len(problems) == 4


def test_check_names_archived_and_unreadable_channels(slack: FakeSlack, rules: RoutingRules) -> None:
    slack.archived.add("C0SALES")
    slack.channels["zz-last-page"] = "C0ZZ"  # the listing takes several pages
    slack.queue("conversations.info", body={"ok": False, "error": "missing_scope"})
    del slack.channels["team-hr"]  # listing misses it, so conversations.info is asked (and refuses)
    problems = {describe_loc(loc): text for loc, text in check_channels(_client(slack), rules)}
    assert problems["departments.sales.channel"].startswith("C0SALES (#team-sales): is archived")
    assert problems["departments.hr.channel"] == "C0HR: cannot be read (missing_scope)"
    assert len(problems) == 2


def test_join_joins_public_channels_and_names_private_ones(
    slack: FakeSlack, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    slack.outside.update({"C0SOCIAL", "C0SALES", "C0HR"})
    slack.private.add("C0HR")
    slack.archived.add("C0PRODUCT")
    report = join_channels(_client(slack), rules)
    assert sorted(report.joined) == ["C0SALES (#team-sales)", "C0SOCIAL (#social-mentions)"]
    assert {c["channel"] for c in slack.calls("conversations.join")} == {"C0SALES", "C0SOCIAL"}
    assert report.problems == [
        f"C0PRODUCT (#team-product): {problem_with(ChannelState('C0PRODUCT', is_archived=True))}",
        f"C0HR: {NOT_FOUND}",
    ]
    assert "C0HR: not found, or private and the bot is not invited (/invite the app there)" in caplog.text
    assert check_channels(_client(slack), rules) == [
        (("departments", "product", "channel"), report.problems[0]),
        (("departments", "hr", "channel"), report.problems[1]),
    ]


def test_join_leaves_channels_the_bot_is_in_alone_and_survives_a_refusal(
    slack: FakeSlack, rules: RoutingRules
) -> None:
    assert join_channels(_client(slack), rules).joined == []
    assert slack.calls("conversations.join") == []
    slack.outside.update({"C0SALES", "C0SUPPORT"})
    slack.queue("conversations.join", body={"ok": False, "error": "restricted_action"})
    report = join_channels(_client(slack), rules)
    assert report.joined == ["C0SALES (#team-sales)"]
    assert report.problems == [
        "C0SUPPORT (#team-support): could not join (restricted_action): /invite the app there"
    ]
