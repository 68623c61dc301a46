"""POST /ingest over HTTP: bearer token, 202 once stored, duplicates, validation, and the card it posts."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.domain.rules import RoutingRules
from tests.harness import pipeline

RECORD = {
    "id": "tw-100",
    "text": "Please send me a quote for 30 seats",
    "source": "twitter",
    "author": "@buyer",
    "url": "https://twitter.example/buyer/status/100",
    "created_at": "2024-05-01T10:00:00Z",
}


def test_ingest_stores_once_and_posts_one_card(engine: Engine, rules: RoutingRules) -> None:
    with pipeline(engine, rules) as p:
        status, body = p.ingest(RECORD)
        assert status == 202 and body["stored"] == 1 and body["duplicates"] == 0
        assert p.ingest(RECORD) == (200, {"duplicate": True, "stored": 0})
        p.drain()
        assert p.ingest(RECORD)[0] == 200  # also after it was posted
        p.drain()
        [mention] = p.mentions()
        assert (mention.source_id, mention.origin, mention.author) == ("ingest:tw-100", "ingest", "@buyer")
        assert mention.created_at.isoformat() == "2024-05-01T10:00:00"
        [card] = p.cards()
        assert card.channel == "C0SALES" and "quote for 30 seats" in card.section_texts[0]
        assert "<https://twitter.example/buyer/status/100|Open original>" in card.raw
        assert "@buyer" in card.raw and "twitter" in card.raw


def test_ingest_needs_the_bearer_token(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with pipeline(sqlite_engine, rules) as p:
        assert p.ingest(RECORD, token=None) == (401, {"error": "missing or wrong bearer token"})
        assert p.ingest(RECORD, token="wrong")[0] == 401
        assert p.mentions() == []
    with pipeline(sqlite_engine, rules, ingest_token=None) as p:
        status, body = p.ingest(RECORD)
        assert status == 404 and "INGEST_TOKEN" in body["error"]


def test_invalid_records_get_400_with_a_reason_and_store_nothing(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with pipeline(sqlite_engine, rules) as p:
        cases = {
            b"{not json": "malformed JSON",
            b"[]": "between 1 and 500",
        }
        for raw, reason in cases.items():
            status, body = p.ingest(raw)
            assert status == 400 and reason in body["error"]
        bad_records = [
            ({**RECORD, "text": ""}, "'text' must be a non-empty string"),
            ({**RECORD, "text": "   "}, "'text' must be a non-empty string"),
            ({"text": "no id"}, "'id'"),
            ([RECORD, "not an object"], "JSON object"),
            ({**RECORD, "created_at": "yesterday"}, "created_at"),
            ({**RECORD, "author": {"nested": 1}}, "'author' must be a string"),
        ]
        for data, reason in bad_records:
            status, body = p.ingest(data)
            assert status == 400 and reason in body["error"], body
        assert p.mentions() == []  # nothing from an invalid batch, not even its valid records
        assert p.ingest(RECORD)[0] == 202  # the process is still up


def test_a_100_kb_mention_is_truncated_on_ingest(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with pipeline(sqlite_engine, rules) as p:
        status, _ = p.ingest({**RECORD, "id": "big", "text": "send me a quote " + "é" * 100_000})
        assert status == 202
        p.drain()
        [mention] = p.mentions()
        assert len(mention.text) == 40_001 and mention.text.endswith("…")
        [card] = p.cards()
        assert all(len(text) <= 3000 for text in card.section_texts) and len(card.text) <= 3000
