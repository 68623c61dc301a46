"""Hostile and malformed requests over real HTTP: always a 4xx with a one-line reason and one log line.

The cases are data: each is sent to the running app (waitress on port 0, real Bolt, real listeners)
and must be refused without a traceback, store nothing, and leave the app serving.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.app.web import WebApp, make_server
from bot.classify.cascade import Cascade
from bot.context import Services
from bot.domain.rules import RoutingRules, load_rules
from bot.domain.settings import Settings
from bot.store.engine import init_db, make_engine
from handlers import create_app
from tests.conftest import RULES_YAML
from tests.fakes.http import serving
from tests.fakes.slack_server import FakeSlack
from tests.handlers import KeywordClassifier
from tests.harness import INGEST_TOKEN, SECRET, Pipeline, event_body, message, pipeline, sign, wait_for

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
DEEP = "[" * 50_000 + "]" * 50_000
RECORD = {"id": "tw-1", "text": "Please send me a quote for 30 seats", "created_at": "2024-05-01T10:00:00Z"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """One running app for all cases: every case is refused, so none changes what the next one sees."""
    path: Path = tmp_path_factory.mktemp("hostile")
    (path / "routing_rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    engine = make_engine(f"sqlite:///{path}/t.db")
    init_db(engine)
    with pipeline(engine, load_rules(path / "routing_rules.yaml")) as running:
        yield running
    engine.dispose()


def _event(**fields: Any) -> bytes:
    """A message event with `fields` merged into the event (or, for `top`, into the envelope)."""
    top = fields.pop("top", {})
    body = json.loads(event_body(message("hello", "1700000000.000100")))
    body["event"].update(fields)
    return json.dumps({**body, **top}).encode()


def _click(**fields: Any) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "U7"},
        "team": {"id": "T1"},
        "container": {"type": "message", "channel_id": "C0SALES", "message_ts": "1.2"},
        "channel": {"id": "C0SALES"},
        "message": {"ts": "1.2"},
        "response_url": "http://127.0.0.1:9/response",
        "actions": [{"action_id": "acknowledge", "block_id": "actions:1", "value": "1"}],
        **fields,
    }
    return _form(json.dumps(payload))


def _form(payload: str) -> bytes:
    return urlencode({"payload": payload}).encode()


SLACK_CASES = [
    pytest.param(
        b'{"type": "event_callback", "event": ' + DEEP.encode() + b"}", JSON, "nested", id="deep-json"
    ),
    pytest.param(_form('{"type": "block_actions", "actions": ' + DEEP + "}"), FORM, "nested", id="deep-form"),
    pytest.param(_event(subtype=[]), JSON, "event.subtype", id="subtype-list"),
    pytest.param(_event(text="", blocks=[{"type": "section", "fields": 5}]), JSON, "fields", id="fields-5"),
    pytest.param(_event(top={"event_id": {}}), JSON, "event_id", id="event-id-object"),
    pytest.param(_event(text={"a": 1}), JSON, "event.text", id="text-object"),
    pytest.param(_event(channel=5), JSON, "event.channel", id="channel-number"),
    pytest.param(_event(ts=1700000000.1), JSON, "event.ts", id="ts-number"),
    pytest.param(_event(attachments={"text": "a dict"}), JSON, "attachments", id="attachments-object"),
    pytest.param(_event(message="x"), JSON, "event.message", id="sub-message-string"),
    pytest.param(_event(top={"team": 5}), JSON, "payload.team", id="team-number"),
    pytest.param(_event(top={"authorizations": [5]}), JSON, "authorizations", id="authorizations-items"),
    pytest.param(_event(top={"event": {"subtype": "x"}}), JSON, "event.type", id="event-without-type"),
    pytest.param(b'{"event": {"type": "message"}}', JSON, "'type'", id="no-type"),
    pytest.param(b'{"type": "event_callback", "event_time": NaN}', JSON, "NaN", id="nan"),
    pytest.param(
        b'{"type": "url_verification", "n": ' + b"9" * 5000 + b"}", JSON, "digits", id="5000-digits"
    ),
    pytest.param(_click(actions=[]), FORM, "actions", id="actions-empty"),
    pytest.param(
        _click(actions=[], command="/insights"), FORM, "actions", id="actions-empty-posing-as-command"
    ),
    pytest.param(_click(actions="reassign"), FORM, "actions", id="actions-string"),
    pytest.param(_click(actions=[{"action_id": 5}]), FORM, "action_id", id="action-id-number"),
    pytest.param(
        _click(actions=[{"action_id": "reassign", "selected_option": "hr"}]),
        FORM,
        "selected_option",
        id="selected-option-string",
    ),
    pytest.param(_click(user="U7"), FORM, "payload.user", id="user-string"),
    pytest.param(_click(container=[]), FORM, "container", id="container-list"),
    pytest.param(_click(response_urls=5), FORM, "response_urls", id="response-urls-number"),
    pytest.param(
        _form('{"type": "view_submission", "view": {"callback_id": "x"}}'),
        FORM,
        "view.type",
        id="view-no-type",
    ),
    pytest.param(_form('{"type": "view_submission", "view": "x"}'), FORM, "view", id="view-string"),
    pytest.param(
        _form('{"type": "workflow_step_edit", "callback_id": "x"}'), FORM, "unsupported", id="step-edit"
    ),
    pytest.param(_form("[1, 2]"), FORM, "JSON object", id="payload-list"),
    pytest.param(_click() + b"&payload=", FORM, "repeated", id="payload-twice"),
    pytest.param(b"text=hi&user_id=U1", FORM, "neither", id="form-without-command"),
    pytest.param(b"\xff\xfe", JSON, "UTF-8", id="not-utf8"),
]


REQUEST_LOGGERS = ("bot.app", "bot.slack", "bot.intake", "handlers", "slack_bolt", "waitress")


def _refused_once(
    app: Pipeline, caplog: pytest.LogCaptureFixture, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    """Send one request; it must be answered 4xx with one reason, logged in exactly one line."""
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, text = app.request(path, body, headers)
    assert 400 <= status < 500, (status, text)
    reason = json.loads(text)["error"]
    assert reason and "\n" not in reason
    # the request's own log lines (background threads of the running app may log meanwhile)
    [record] = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith(REQUEST_LOGGERS)]
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert reason in record.getMessage()
    assert not any(r.exc_info for r in caplog.records)  # no traceback anywhere
    return status, reason


@pytest.mark.parametrize(("body", "content_type", "reason"), SLACK_CASES)
def test_signed_malformed_slack_bodies_get_400(
    app: Pipeline, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str, reason: str
) -> None:
    headers = {"Content-Type": content_type, **sign(body)}
    status, answer = _refused_once(app, caplog, "/slack/events", body, headers)
    assert status == 400 and reason in answer
    assert not [m for m in app.mentions() if m.text == "hello"]


EVENT = event_body(message("hello", "1700000000.000200"))
STAMPS = ["", "abc", "1e9", "-1", "1_700_000_000", "17²³", "9" * 40]


@pytest.mark.parametrize("stamp", STAMPS)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_bad_timestamps_get_401(
    app: Pipeline, caplog: pytest.LogCaptureFixture, stamp: str, signed: bool
) -> None:
    headers = {"Content-Type": JSON, "X-Slack-Request-Timestamp": stamp}
    if signed:  # even a correct HMAC over the garbage timestamp
        base = f"v0:{stamp}:".encode() + EVENT
        headers["X-Slack-Signature"] = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    status, answer = _refused_once(app, caplog, "/slack/events", EVENT, headers)
    assert status == 401 and ("signature" in answer or "Unix time" in answer)


def test_a_flood_of_bad_timestamps_logs_one_line_each(
    app: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for n in range(60):
            headers = {
                "Content-Type": JSON,
                "X-Slack-Request-Timestamp": f"x{n}",
                "X-Slack-Signature": "v0=0",
            }
            assert app.request("/slack/events", EVENT, headers)[0] == 401
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 60
    assert all(r.exc_info is None and "Unix time" in r.getMessage() for r in lines)
    assert "Traceback" not in caplog.text


def _raw(record: str) -> bytes:
    return record.encode()


INGEST_CASES = [
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": 1e20}'), "created_at", id="1e20"),
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": -1e15}'), "created_at", id="-1e15"),
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": NaN}'), "NaN", id="nan"),
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": Infinity}'), "Infinity", id="infinity"),
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": -Infinity}'), "Infinity", id="-infinity"),
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": 1e400}'), "out of range", id="1e400"),
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": true}'), "created_at", id="created-at-bool"),
    pytest.param(_raw('{"id": "a", "text": "t", "created_at": []}'), "created_at", id="created-at-list"),
    pytest.param(
        _raw('{"id": "a", "text": "t", "created_at": "0001-01-01T00:00:00+01:00"}'), "created_at", id="year-0"
    ),
    pytest.param(_raw('{"id": ' + "9" * 5000 + ', "text": "t"}'), "digits", id="5000-digit-id"),
    pytest.param(_raw('{"id": "' + "9" * 5000 + '", "text": "t"}'), "'id'", id="5000-char-id"),
    pytest.param(_raw('{"id": true, "text": "t"}'), "'id'", id="id-bool"),
    pytest.param(DEEP.encode(), "nested", id="deep"),
    pytest.param(_raw('{"id": "a", "text": "t", "author": ' + DEEP + "}"), "nested", id="deep-field"),
    pytest.param(
        _raw('{"id": "a", "text": "t", "author": "' + "[" * 5000 + '"}'), "", id="brackets-in-a-string"
    ),
]


@pytest.mark.parametrize(("raw", "reason"), INGEST_CASES)
def test_hostile_ingest_bodies_get_400(
    app: Pipeline, caplog: pytest.LogCaptureFixture, raw: bytes, reason: str
) -> None:
    headers = {"Content-Type": JSON, "Authorization": f"Bearer {INGEST_TOKEN}"}
    if not reason:  # brackets inside a string are not nesting: this one is accepted
        assert app.request("/ingest", raw, headers)[0] == 202
        return
    status, answer = _refused_once(app, caplog, "/ingest", raw, headers)
    assert status == 400 and reason in answer, answer
    assert not [m for m in app.mentions() if m.source_id != "ingest:a"]


@pytest.mark.parametrize("path", ["/slack/events", "/ingest"])
def test_a_2_mib_body_gets_a_413_the_client_can_read(app: Pipeline, path: str) -> None:
    huge = json.dumps({"type": "event_callback", "pad": "x" * (2 * 1024 * 1024)}).encode()
    headers = {"Content-Type": JSON, "Authorization": f"Bearer {INGEST_TOKEN}", **sign(huge)}
    connection = http.client.HTTPConnection(urlsplit(app.root).netloc, timeout=15)
    try:
        connection.request("POST", path, body=huge, headers=headers)  # sends all 2 MiB, no reset
        response = connection.getresponse()
        assert response.status == 413
        assert "1 MB" in json.loads(response.read())["error"]
    finally:
        connection.close()
    assert app.signed(event_body(message("glassdoor: still up", "1700000000.000300")))[0] == 200


def test_a_forged_department_is_escaped_in_the_ephemeral_reply(app: Pipeline) -> None:
    forged = "<!channel> & <@U1|boss>"
    action = {"action_id": "reassign", "block_id": "actions:1", "selected_option": {"value": forged}}
    body = _click(actions=[action], response_url=f"{app.slack.response_url_base}/act")
    assert app.request("/slack/events", body, {"Content-Type": FORM, **sign(body)})[0] == 200
    [reply] = wait_for(lambda: app.slack.responses)
    assert reply["response_type"] == "ephemeral"
    assert (
        "&lt;!channel&gt; &amp; &lt;@U1|boss&gt;" in reply["text"] and "is not a department" in reply["text"]
    )
    assert "<!channel>" not in json.dumps(reply) and "<@U1" not in json.dumps(reply)


def test_bolt_internal_headers_from_a_client_are_ignored(app: Pipeline) -> None:
    """X-Slack-Bolt-Lazy-Only would make Bolt skip the listener that stores the mention."""
    body = event_body(message("glassdoor: lazy-only header", "1700000000.000400"))
    lazy = {"X-Slack-Bolt-Lazy-Only": "true", "X-Slack-Bolt-Lazy-Function-Name": "nothing"}
    assert app.signed(body, **lazy)[0] == 200
    assert [m.text for m in app.mentions() if "lazy-only" in m.text] == ["glassdoor: lazy-only header"]


def test_a_listener_tripping_over_a_payload_answers_400_and_the_app_stays_up(
    sqlite_engine: Engine, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    """A shape the guard does not know still gives a 4xx and one log line; server trouble stays 5xx."""
    with FakeSlack() as slack:
        settings = Settings(
            slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_api_url=slack.base_url
        )
        services = Services.create(
            settings,
            rules,
            sqlite_engine,
            Cascade(rules, KeywordClassifier()),
            slack=WebClient(token="xoxb-test", base_url=slack.base_url),
            bot_user_id="UBOT",
        )
        bolt = create_app(services)

        @bolt.event("reaction_added")
        def trips(event: dict[str, Any]) -> None:
            event["item"]["ts"].upper()  # a payload without item.ts: KeyError, as an unforeseen shape would

        @bolt.event("reaction_removed")
        def server_trouble(event: dict[str, Any]) -> None:
            raise ConnectionError("database went away")

        server = make_server(WebApp(services, bolt), host="127.0.0.1", port=0)
        with serving(server) as base:
            root = f"{base}/slack/events"
            caplog.clear()
            with caplog.at_level(logging.INFO):
                status, text = _post(root, event_body({"type": "reaction_added", "item": {}}))
            assert status == 400 and "unexpected payload shape" in json.loads(text)["error"]
            [record] = [r for r in caplog.records if r.levelno >= logging.INFO]
            assert record.exc_info is None and "KeyError" in record.getMessage()
            assert "test_hostile_input.py" in record.getMessage()  # where, for the developer
            assert _post(root, event_body({"type": "reaction_removed", "item": {}}))[0] == 500
            assert _post(root, event_body(message("still up", "1700000000.000500")))[0] == 200


def _post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": JSON, **sign(body)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
