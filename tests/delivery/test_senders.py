"""Senders against the fake Slack Web API over real HTTP: posting, error mapping, join-and-retry, terminal."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.delivery.base import PermanentSendError, RateLimited, TransientSendError
from bot.delivery.senders import SlackSender
from bot.delivery.terminal import TerminalSender
from bot.slack.cards import render_card
from tests.fakes.slack_server import FakeSlack
from tests.slack.test_cards import VIEW

PAYLOAD = {
    "text": "hello & welcome",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def sender(fake: FakeSlack) -> SlackSender:
    client = WebClient(
        token="xoxb-test", base_url=fake.base_url, retry_handlers=[RateLimitErrorRetryHandler()]
    )
    return SlackSender(client)


def test_send_posts_payload_and_returns_channel_and_ts(fake: FakeSlack, sender: SlackSender) -> None:
    first = sender.send("#team-product", PAYLOAD)
    second = sender.send("C0PRODUCT", PAYLOAD, thread_ts=first.ts)
    assert first.channel == "C0PRODUCT" and second.channel == "C0PRODUCT"
    assert float(second.ts) > float(first.ts)
    bodies = fake.posted("C0PRODUCT")
    assert [b["text"] for b in bodies] == ["hello & welcome", "hello & welcome"]
    assert bodies[0]["blocks"] == PAYLOAD["blocks"]
    assert "thread_ts" not in bodies[0] and bodies[1]["thread_ts"] == first.ts
    assert fake.requests[0].headers["authorization"] == "Bearer xoxb-test"


def test_update_edits_the_message(fake: FakeSlack, sender: SlackSender) -> None:
    sent = sender.send("C0SALES", PAYLOAD)
    sender.update(sent.channel, sent.ts, {"text": "moved to #team-support", "blocks": []})
    assert fake.calls("chat.update")[0]["ts"] == sent.ts
    assert fake.messages[("C0SALES", sent.ts)]["text"] == "moved to #team-support"


def test_429_maps_to_rate_limited_without_sdk_retry(fake: FakeSlack, sender: SlackSender) -> None:
    fake.queue(
        "chat.postMessage",
        status=429,
        body={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "7"},
    )
    with pytest.raises(RateLimited) as caught:
        sender.send("C0SUPPORT", PAYLOAD)
    assert caught.value.retry_after == 7.0
    assert len(fake.calls("chat.postMessage")) == 1  # the SDK's own 429 handler was removed
    assert fake.posted("C0SUPPORT")[0]["text"] == "hello & welcome"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"ok": False, "error": "internal_error"}),
        (503, "<html><body>Service Unavailable</body></html>"),
        (200, "<html>maintenance</html>"),
        (200, {"ok": False, "error": "fatal_error"}),
    ],
)
def test_server_errors_are_transient(fake: FakeSlack, sender: SlackSender, status: int, body: object) -> None:
    fake.queue("chat.postMessage", status=status, body=body)  # type: ignore[arg-type]
    with pytest.raises(TransientSendError):
        sender.send("C0SUPPORT", PAYLOAD)
    assert sender.send("C0SUPPORT", PAYLOAD).channel == "C0SUPPORT"  # the next attempt works


def test_connection_refused_is_transient() -> None:
    with FakeSlack() as gone:
        url = gone.base_url
    client = WebClient(token="xoxb-test", base_url=url, retry_handlers=[])
    with pytest.raises(TransientSendError):
        SlackSender(client).send("C0SUPPORT", PAYLOAD)


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_blocks", "msg_too_long"])
def test_refusals_are_permanent(fake: FakeSlack, sender: SlackSender, error: str) -> None:
    fake.queue("chat.postMessage", body={"ok": False, "error": error})
    with pytest.raises(PermanentSendError) as caught:
        sender.send("C0SUPPORT", PAYLOAD)
    assert caught.value.error == error and error in str(caught.value)


def test_unknown_channel_is_permanent(sender: SlackSender) -> None:
    with pytest.raises(PermanentSendError) as caught:
        sender.send("#no-such-channel", PAYLOAD)
    assert caught.value.error == "channel_not_found"


def test_not_in_channel_joins_once_then_posts(fake: FakeSlack, sender: SlackSender) -> None:
    fake.outside.add("C0HR")
    sent = sender.send("C0HR", PAYLOAD)
    assert sent.channel == "C0HR"
    assert [c["channel"] for c in fake.calls("conversations.join")] == ["C0HR"]
    assert len(fake.calls("chat.postMessage")) == 2 and fake.posted("C0HR")[1]["text"] == "hello & welcome"
    sender.send("C0HR", PAYLOAD)
    assert len(fake.calls("conversations.join")) == 1  # joined for good


def test_not_in_channel_by_name_follows_cursors_to_find_the_id(fake: FakeSlack, sender: SlackSender) -> None:
    fake.channels.update({f"extra-{i}": f"C0X{i:03d}" for i in range(250)})
    fake.channels["zz-last"] = "C0ZZLAST"
    fake.outside.add("C0ZZLAST")
    assert sender.send("#zz-last", PAYLOAD).channel == "C0ZZLAST"
    assert [c.get("cursor") for c in fake.calls("conversations.list")] == [None, "200"]
    assert [c["channel"] for c in fake.calls("conversations.join")] == ["C0ZZLAST"]


def test_private_channel_that_cannot_be_joined_is_permanent(fake: FakeSlack, sender: SlackSender) -> None:
    fake.outside.add("C0HR")
    fake.private.add("C0HR")
    with pytest.raises(PermanentSendError) as caught:
        sender.send("C0HR", PAYLOAD)
    assert caught.value.error == "method_not_supported_for_channel_type"
    assert len(fake.calls("chat.postMessage")) == 1  # no blind retry


def test_terminal_sender_renders_cards_readably() -> None:
    stream = io.StringIO()
    terminal = TerminalSender(stream, channel_names={"C0SUPPORT": "team-support"})
    card = render_card(VIEW)
    first = terminal.send("C0SUPPORT", card)
    second = terminal.send("C0SUPPORT", {"text": "Seen again &amp; again"}, thread_ts=first.ts)
    out = stream.getvalue()
    assert "#team-support" in out and "(thread reply)" in out
    assert "[Reassign ▾] [Acknowledge] [Not relevant]" in out
    assert "photo & it says <error>" in out  # unescaped for humans
    assert "Seen again & again" in out
    assert float(second.ts) > float(first.ts)
    assert list(terminal.received) == ["#team-support"] and len(terminal.received["#team-support"]) == 2
