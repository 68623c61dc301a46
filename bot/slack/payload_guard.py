"""The shape check in front of Bolt: a Slack request either has the shape the code reads, or gets a 4xx.

Bolt and our listeners index into payloads directly (`body["actions"][0]`, `"id" in body["team"]`,
`subtype in {...}`), so a wrong type anywhere they look raises inside Bolt and used to come out as a
500 with a traceback. This module checks, once and before dispatch, every field Bolt's context
extraction and our handlers (`handlers/*.py`, `bot/incoming.py`) read: present fields must have the
expected type; absent or null ones are fine. It mirrors how Bolt chooses JSON vs form parsing so both
see the same payload. Reasons are one line and never echo the request back.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.domain.safe_json import loads_bounded

Kinds = type | tuple[type, ...]
MAX_FORM_FIELDS = 100  # a slash command has about a dozen
# Exceptions a handler raises when a payload is not shaped as it assumed (not server trouble).
INPUT_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, RecursionError)

# Fields Bolt's build_context reads at every level it recurses into (top, event, event.message, …).
_IDENTITY: dict[str, Kinds] = {
    **dict.fromkeys(("user", "channel", "team", "enterprise"), (str, dict)),
    **dict.fromkeys(("user_id", "channel_id", "team_id", "enterprise_id", "thread_ts"), str),
    **dict.fromkeys(("user_team", "response_url", "function_execution_id"), str),
    **dict.fromkeys(("authorizations", "response_urls"), list),
    **dict.fromkeys(("event", "view", "item", "message", "previous_message", "assistant_thread"), dict),
}
_TOP: dict[str, Kinds] = {
    **dict.fromkeys(("type", "event_id", "api_app_id", "token", "trigger_id", "callback_id"), str),
    **dict.fromkeys(("challenge", "context_team_id", "context_enterprise_id"), str),
}
# Payload types Slack sends this app (see manifest.yaml); Bolt has code paths for many more (steps
# from apps, dialogs, attachment actions) that would index into fields nobody here checks.
_TYPES = {"event_callback", "url_verification", "app_rate_limited", "block_actions"}
_TYPES |= {"view_submission", "view_closed"}  # no modals yet; checked so a future one is safe
# What bot/incoming.py and handlers/events.py read from message and app_mention events.
_MESSAGE: dict[str, Kinds] = {
    **dict.fromkeys(("type", "subtype", "channel", "ts", "user", "bot_id", "text", "username"), str),
    **dict.fromkeys(("attachments", "blocks"), list),
}
_HOME: dict[str, Kinds] = {"user": str, "tab": str}
_ACTION: dict[str, Kinds] = {
    **dict.fromkeys(("action_id", "block_id", "value", "type"), str),
    "selected_option": dict,
}


class Rejected(Exception):
    """A request refused at the edge: HTTP status and a one-line reason for the client and the log."""

    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        self.status = status
        self.reason = " ".join(reason.split())[:300]  # one line, whatever a parser put in it
        self.detail = " ".join(detail.split())[:300]  # for the log only, never for the client
        super().__init__(self.reason)


def admit(
    body: bytes, headers: Mapping[str, str], verifier: SignatureVerifier | None
) -> tuple[str, dict[str, Any], str]:
    """Signature, then parsing, then shape: the body text, its parsed payload and the content type."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None
    if verifier is not None:  # before parsing: a stranger's body is never looked into
        check_timestamp(headers, time.time())
        if not verifier.is_valid_request(text, headers):
            raise Rejected(401, "invalid or stale signature")
    payload, content_type = parse_slack_body(text, headers.get("content-type", ""))
    return text, payload, content_type


def check_timestamp(headers: Mapping[str, str], now: float, max_age: int = 300) -> None:
    """X-Slack-Request-Timestamp must be recent Unix seconds (slack_sdk would int() any garbage)."""
    stamp = headers.get("x-slack-request-timestamp")
    if stamp is None or "x-slack-signature" not in headers:
        raise Rejected(401, "invalid or stale signature")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise Rejected(401, "X-Slack-Request-Timestamp must be Unix time in seconds")
    if abs(now - int(stamp)) > max_age:
        raise Rejected(401, "invalid or stale signature")


def parse_slack_body(body: str, content_type: str) -> tuple[dict[str, Any], str]:
    """The checked payload and the content type to hand Bolt (which parses JSON iff this one does)."""
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind == "application/json" or body.startswith("{"):  # Bolt's own rule
            return _object(loads_bounded(body)), "application/json"
        return _form(body), "application/x-www-form-urlencoded"
    except ValueError as exc:
        raise Rejected(400, f"malformed body: {exc}") from None


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Rejected(400, "malformed body: the payload must be a JSON object")
    if not isinstance(data.get("type"), str):
        raise Rejected(400, "malformed body: the payload has no 'type'")
    check_shape(data)
    return data


def _form(body: str) -> dict[str, Any]:
    form = parse_qs(body, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FORM_FIELDS)
    if any(len(values) > 1 for values in form.values()):
        # Bolt keeps the last value of a repeated field; checking the first would let the last slip by
        raise Rejected(400, "malformed body: a form field is repeated")
    if "payload" in form:
        return _object(loads_bounded(form["payload"][0]))
    if "command" not in form and "ssl_check" not in form:
        raise Rejected(400, "malformed body: neither an event, a command nor an interaction")
    return {key: values[0] for key, values in form.items()}


def check_shape(payload: dict[str, Any]) -> None:
    """Raise Rejected(400) when a field Bolt or a listener reads has the wrong type (JSON payloads;
    a slash command is a flat form of strings)."""
    _fields(payload, _TOP, "payload")
    _identity(payload, "payload")
    kind = payload["type"]
    if kind not in _TYPES:
        raise Rejected(400, f"unsupported payload type {kind[:40]!r}")
    if kind == "event_callback":
        _event(payload)
    elif kind == "block_actions":
        _block_actions(payload)
    elif kind in ("view_submission", "view_closed"):
        view = _required(payload, "view", dict, "payload")
        if _required(view, "type", str, "view") not in ("modal", "home"):
            raise Rejected(400, "malformed body: view.type must be modal or home")
        _required(view, "callback_id", str, "view")
        _fields(view, {"app_installed_team_id": str, "team_id": str, "state": dict}, "view")


def describe(error: BaseException) -> str:
    """One line for the log: the exception and where it was raised (no traceback, no payload)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {str(error)[:200]}{where}"


def _event(payload: dict[str, Any]) -> None:
    event = _required(payload, "event", dict, "payload")
    event_type = _required(event, "type", str, "event")
    _identity(event, "event")
    for key in ("message", "previous_message", "item", "assistant_thread"):
        if isinstance(event.get(key), dict):
            _identity(event[key], f"event.{key}")
    if event_type in ("message", "app_mention"):
        _fields(event, _MESSAGE, "event")
        for block in event.get("blocks") or []:
            if isinstance(block, dict):
                _fields(block, {"type": str, "text": dict, "fields": list}, "event.blocks[]")
    elif event_type == "app_home_opened":
        _fields(event, _HOME, "event")


def _block_actions(payload: dict[str, Any]) -> None:
    actions = _required(payload, "actions", list, "payload")
    if not actions or not all(isinstance(action, dict) for action in actions):
        raise Rejected(400, "malformed body: payload.actions must be a non-empty list of objects")
    for action in actions:
        _required(action, "action_id", str, "actions[]")
        _fields(action, _ACTION, "actions[]")
        _fields(action.get("selected_option") or {}, {"value": str}, "actions[].selected_option")
    # handlers/actions.py reads user.id, container.channel_id/message_ts, channel.id and message.ts
    _fields(payload, {"user": dict, "container": dict, "channel": dict, "message": dict}, "payload")
    _fields(payload.get("container") or {}, {"channel_id": str, "message_ts": str}, "container")
    _fields(payload.get("message") or {}, {"ts": str}, "message")


def _identity(obj: dict[str, Any], where: str) -> None:
    _fields(obj, _IDENTITY, where)
    for key in ("user", "channel", "team", "enterprise"):
        if isinstance(obj.get(key), dict):
            _fields(obj[key], {"id": str, "team_id": str, "enterprise_id": str}, f"{where}.{key}")
    for key in ("authorizations", "response_urls"):
        for item in obj.get(key) or []:
            if not isinstance(item, dict):
                raise Rejected(400, f"malformed body: {where}.{key} must hold objects")
            _fields(item, {"team_id": str, "enterprise_id": str, "user_id": str}, f"{where}.{key}[]")
            _fields(item, {"response_url": str}, f"{where}.{key}[]")


def _required(obj: dict[str, Any], key: str, kinds: Kinds, where: str) -> Any:
    if not isinstance(obj.get(key), kinds):
        raise Rejected(400, f"malformed body: {where}.{key} must be {_names(kinds)}")
    return obj[key]


def _fields(obj: dict[str, Any], spec: dict[str, Kinds], where: str) -> None:
    for key, kinds in spec.items():
        value = obj.get(key)
        if value is not None and not isinstance(value, kinds):
            raise Rejected(400, f"malformed body: {where}.{key} must be {_names(kinds)}")


def _names(kinds: Kinds) -> str:
    names: dict[type, str] = {str: "a string", dict: "an object", list: "a list"}
    options = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(names.get(kind, kind.__name__) for kind in options)
