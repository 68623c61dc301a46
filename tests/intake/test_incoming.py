"""Reading mentions out of Slack events and /ingest records: text sources, skips, validation."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.errors import InvalidMention
from bot.intake.incoming import from_record, from_slack_event, skip_reason


def event(**extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": "C1", "ts": "1700000000.000100", "user": "U1", **extra}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"subtype": "message_changed"}, "subtype message_changed"),
        ({"subtype": "message_deleted"}, "subtype message_deleted"),
        ({"subtype": "channel_join"}, "subtype channel_join"),
        ({"thread_ts": "1699999999.000001"}, "thread reply"),
        ({"user": "UBOT"}, "own message"),
        ({"subtype": "bot_message", "bot_id": "BBOT", "user": None}, "own message"),
    ],
)
def test_events_that_create_no_card_say_why(extra: dict[str, Any], reason: str) -> None:
    assert skip_reason(event(**extra), "UBOT", "BBOT") == reason


def test_new_messages_and_thread_parents_are_taken() -> None:
    assert skip_reason(event(text="hi"), "UBOT", "BBOT") is None
    assert skip_reason(event(thread_ts="1700000000.000100"), "UBOT", "BBOT") is None  # a thread's parent
    assert skip_reason(event(subtype="bot_message", bot_id="BOTHER"), "UBOT", "BBOT") is None


def test_slack_markup_becomes_plain_text_and_attachment_metadata_is_kept() -> None:
    attachment = {
        "pretext": "New post",
        "title": "Q &amp; A",
        "text": "<https://x.example|link> &lt;3",
        "author_name": "Ann &amp; Co",
        "title_link": "https://x.example/p?a=1&amp;b=2",
        "service_name": "Reddit",
    }
    mention = from_slack_event(event(text="<!here> <@U9|sam>", attachments=[attachment]), "slack_message")
    assert mention.text == "@here @sam\nNew post\nQ & A\nlink (https://x.example) <3"
    assert (mention.author, mention.source) == ("Ann & Co", "Reddit")
    assert mention.url == "https://x.example/p?a=1&b=2"
    assert (mention.source_id, mention.slack_channel) == ("slack:C1:1700000000.000100", "C1")


def test_section_blocks_are_read_when_there_is_no_other_text() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Alert"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "price?"}]},
        "junk",
        {"type": "divider"},
    ]
    assert from_slack_event(event(text="", blocks=blocks), "slack_message").text == "Alert\nprice?"


@pytest.mark.parametrize(
    "broken",
    [
        event(channel=None),
        event(ts=""),
        event(text=""),
        event(text="", attachments=[1, "x"]),
        event(text=" ", attachments={"text": "dict"}, blocks="nope"),
    ],
)
def test_unreadable_events_raise_invalid_mention(broken: dict[str, Any]) -> None:
    with pytest.raises(InvalidMention):
        from_slack_event(broken, "slack_message")


def test_records_are_validated_and_bounded() -> None:
    mention = from_record({"id": 7, "text": " hi\x00 there ", "lang": "en", "created_at": 1700000000})
    assert (mention.source_id, mention.text, mention.lang_hint) == ("ingest:7", "hi there", "en")
    assert mention.created_at.year == 2023
    assert len(from_record({"id": "x", "text": "y" * 100_000}).text) == 40_001
    for bad, message in [
        ({"id": "", "text": "t"}, "'id'"),
        ({"id": "a" * 201, "text": "t"}, "'id'"),
        ({"id": "a", "text": 5}, "'text'"),
        ({"id": "a", "text": "t", "url": []}, "'url'"),
    ]:
        with pytest.raises(InvalidMention, match=message):
            from_record(bad)
