"""The HTTP front's answers to bad input: 401 signatures, 400 bodies, 413 sizes, and /healthz."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from bot.domain.rules import RoutingRules
from tests.harness import Pipeline, event_body, message, pipeline, sign

EVENT = event_body(message("glassdoor: still serving after bad input", "1700000020.000100"), event_id="EvOK")


def _still_serving(p: Pipeline) -> None:
    assert p.signed(EVENT) == (200, "")
    p.drain()
    [card] = p.cards()
    assert card.channel == "C0HR" and "still serving after bad input" in card.section_texts[0]


def _oversized_status(p: Pipeline) -> int:
    """Send a >1 MB signed body; the server answers 413 without reading it all (and may hang up)."""
    huge = json.dumps({"type": "event_callback", "pad": "x" * (1024 * 1024)}).encode()
    connection = http.client.HTTPConnection(urlsplit(p.root).netloc, timeout=10)
    try:
        connection.putrequest("POST", "/slack/events")
        for name, value in {"Content-Type": "application/json", **sign(huge)}.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(huge)))
        connection.endheaders()
        with contextlib.suppress(OSError):  # the server stops reading once it has refused
            connection.send(huge)
        return connection.getresponse().status
    finally:
        connection.close()


def test_signatures_are_checked_before_anything_is_stored(sqlite_engine: Engine, rules: RoutingRules) -> None:
    json_type = {"Content-Type": "application/json"}
    with pipeline(sqlite_engine, rules) as p:
        forged = {**json_type, **sign(EVENT, secret="not-the-secret")}
        stale = {**json_type, **sign(EVENT, timestamp=int(time.time()) - 6 * 60)}
        unsigned = json_type
        for headers in (forged, stale, unsigned):
            status, body = p.request("/slack/events", EVENT, headers)
            assert (status, json.loads(body)) == (401, {"error": "invalid or stale signature"})
        assert p.mentions() == []
        _still_serving(p)


def test_malformed_and_oversized_bodies_get_4xx(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with pipeline(sqlite_engine, rules) as p:
        for body in (b"{not json", b"[1, 2]", b"\xff\xfe"):
            status, answer = p.signed(body)
            assert status == 400 and "error" in json.loads(answer)
        assert _oversized_status(p) == 413
        assert p.request("/nowhere", b"{}")[0] == 404
        assert p.request("/slack/events", method="GET")[0] == 405
        assert p.mentions() == []
        _still_serving(p)


def test_healthz_is_liveness(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with pipeline(sqlite_engine, rules) as p:
        status, body = p.request("/healthz", method="GET")
        assert (status, json.loads(body)) == (200, {"ok": True})


def test_url_verification_is_answered(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with pipeline(sqlite_engine, rules) as p:
        body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"}).encode()
        status, answer = p.signed(body)
        assert status == 200 and "c-123" in answer
