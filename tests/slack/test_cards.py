"""Block Kit cards: structure, escaping (nothing in a mention can ping), limits, buttons by state."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from bot.domain.text import ZERO_WIDTH
from bot.slack.cards import CardView, render_card, render_duplicate_reply

VIEW = CardView(
    mention_id=42,
    text="The app crashes when I upload a photo & it says <error>",
    author="@jane_doe",
    source="twitter",
    url="https://twitter.com/jane_doe/status/1?a=1&b=2",
    created_at=datetime(2024, 5, 1, 12, 30),
    department="support",
    confidence=0.87,
    sentiment="negative",
    urgency="high",
    language="en",
    summary="A customer's app crashes on photo upload.",
    topics=("crash", "upload"),
    classifier="local",
    triage=False,
    reason="model margin 0.41",
)


def _all_text(payload: dict[str, Any]) -> str:
    """Every string in the payload, so assertions cover fallback text, blocks and fields alike."""
    return json.dumps(payload, ensure_ascii=False)


def _block(payload: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in payload["blocks"] if b["type"] == kind]


def test_card_shows_department_sentiment_urgency_and_details() -> None:
    card = render_card(VIEW)
    header = _block(card, "header")[0]["text"]["text"]
    assert "Support" in header and "negative" in header and "high urgency" in header
    fields = " ".join(f["text"] for f in _block(card, "section")[1]["fields"])
    assert "@jane_doe" in fields and "twitter" in fields
    assert "87%" in fields and "local" in fields
    assert "<https://twitter.com/jane_doe/status/1?a=1&amp;b=2|Open original>" in fields
    about = _block(card, "section")[2]["text"]["text"]
    assert "A customer's app crashes on photo upload." in about and "`crash`" in about
    assert "Mention #42" in _all_text(card)
    assert card["text"].startswith("Support · negative · high: The app crashes")


def test_card_escapes_text_exactly_once() -> None:
    card = render_card(VIEW)
    body = _block(card, "section")[0]["text"]["text"]
    assert body == "The app crashes when I upload a photo &amp; it says &lt;error&gt;"
    assert "&amp;amp;" not in _all_text(card)


def test_literal_entity_text_is_shown_literally() -> None:
    # Stored text is plain: a user who literally typed "&amp;" must see "&amp;", so it is escaped again.
    card = render_card(replace(VIEW, text="Tom &amp; Jerry &lt;3"))
    assert _block(card, "section")[0]["text"]["text"] == "Tom &amp;amp; Jerry &amp;lt;3"


@pytest.mark.parametrize(
    "hostile",
    [
        "<!channel> look",
        "<!here> now",
        "<!everyone>",
        "<!subteam^S1|@oncall> hi",
        "<@U123> you",
        "@channel @here",
    ],
)
def test_mention_text_can_never_ping(hostile: str) -> None:
    view = replace(VIEW, text=hostile, author=hostile, source=hostile, summary=hostile, topics=(hostile,))
    card = render_card(view)
    dumped = _all_text(card)
    for markup in ("<!channel", "<!here", "<!everyone", "<!subteam", "<@U123"):
        assert markup not in dumped
    assert "@channel" not in dumped.replace(f"@{ZERO_WIDTH}channel", "")
    assert "@here" not in dumped.replace(f"@{ZERO_WIDTH}here", "")
    assert "&lt;" in _block(card, "section")[0]["text"]["text"] or "@" in hostile


def test_trusted_ping_is_in_fallback_and_context() -> None:
    card = render_card(replace(VIEW, ping="<!subteam^S0ONCALL> <@U0LEAD>", text="<!channel>"))
    assert card["text"].startswith("<!subteam^S0ONCALL> <@U0LEAD> ")
    assert "&lt;!channel&gt;" in card["text"]
    contexts = [e["text"] for b in _block(card, "context") for e in b["elements"]]
    assert any("<!subteam^S0ONCALL> <@U0LEAD>" in t for t in contexts)


def test_only_http_links_are_clickable() -> None:
    for url in ("javascript:alert(1)", "slack://open", "ftp://x/y"):
        card = render_card(replace(VIEW, url=url))
        link_field = _block(card, "section")[1]["fields"][3]["text"]
        assert f"<{url}" not in link_field and "Open original" not in link_field
    tricky = render_card(replace(VIEW, url="https://evil.example/x>|<!channel>"))
    link_field = _block(tricky, "section")[1]["fields"][3]["text"]
    assert "<!channel>" not in link_field and "%7C" in link_field


def test_huge_text_stays_within_block_kit_limits() -> None:
    view = replace(VIEW, text="&<>" * 35_000, author="a" * 5000, summary="s" * 5000, reason="r" * 5000)
    card = render_card(view)
    assert len(card["text"]) <= 3000
    assert len(card["blocks"]) <= 50
    for block in card["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
    body = _block(card, "section")[0]["text"]["text"]
    assert body.endswith("…") and body.startswith("&amp;&lt;&gt;")
    assert body.rstrip("…").endswith((";", "&amp;", "&lt;", "&gt;"))  # never a half entity
    json.dumps(card)  # JSON-serialisable


def test_buttons_while_new_and_select_skips_current_department() -> None:
    actions = _block(render_card(VIEW), "actions")[0]
    assert actions["block_id"] == "actions:42:0"  # mention id and the version the card shows
    select, ack, not_relevant = actions["elements"]
    assert select["action_id"] == "reassign"
    assert [o["value"] for o in select["options"]] == ["product", "hr", "sales"]
    assert (ack["action_id"], ack["value"]) == ("acknowledge", "42:0")
    assert (not_relevant["action_id"], not_relevant["value"]) == ("not_relevant", "42:0")


def test_triage_card_says_so_and_offers_every_department() -> None:
    card = render_card(replace(VIEW, triage=True, confidence=0.41, reason="confidence 0.41 below 0.60"))
    assert "Needs triage" in _block(card, "header")[0]["text"]["text"]
    assert "needs triage" in _all_text(card)
    select = _block(card, "actions")[0]["elements"][0]
    assert [o["value"] for o in select["options"]] == ["product", "support", "hr", "sales"]


@pytest.mark.parametrize(
    ("state", "note", "expected"),
    [
        ("acknowledged", "by <@U1>", "✅ Acknowledged: by <@U1>"),
        ("not_relevant", "by <@U2>", "🚫 Marked not relevant: by <@U2>"),
        ("reassigned", "moved to #team-sales by <@U1>", "↪️ moved to #team-sales by <@U1>"),
    ],
)
def test_handled_cards_have_no_buttons_and_show_the_state(state: str, note: str, expected: str) -> None:
    card = render_card(replace(VIEW, state=state, state_note=note))
    assert _block(card, "actions") == []
    assert card["blocks"][-1]["elements"][0]["text"] == expected


def test_duplicate_reply_names_author_source_and_link() -> None:
    reply = render_duplicate_reply(
        replace(VIEW, author="bob<@U9>", source="reddit", url="https://r.example/1")
    )
    text = reply["blocks"][0]["text"]["text"]
    assert "Seen again from @bob&lt;@U9&gt; on reddit" in text
    assert "<https://r.example/1|link>" in text
    assert "<@U9>" not in _all_text(reply)
    assert reply["text"].startswith("🔁 Seen again from @bob")


def _fields_text(view: CardView) -> str:
    return " ".join(f["text"] for f in _block(render_card(view), "section")[1]["fields"])


def test_a_listener_card_shows_the_source_type_and_its_name() -> None:
    view = replace(VIEW, source="reddit", source_name="reddit-brand")
    assert "*Source*\nreddit · reddit-brand " in _fields_text(view)
    assert "on reddit · reddit-brand" in _all_text(render_duplicate_reply(view))
    # a name equal to the type (`name: reddit, type: reddit`) is not shown twice; no type: the name alone
    assert "*Source*\nreddit " in _fields_text(replace(view, source_name="reddit"))
    assert "*Source*\nreddit-brand " in _fields_text(replace(view, source=""))
