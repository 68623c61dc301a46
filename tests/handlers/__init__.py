"""Slack listener tests: signed requests over real HTTP (waitress on port 0) against the fake Slack server."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import waitress
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.app.web import WebApp
from bot.classify.cascade import Cascade
from bot.context import Services
from bot.domain.result import Few, Result
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from handlers import create_app
from tests.fakes.http import serving
from tests.fakes.slack_server import FakeSlack

SECRET = "test-signing-secret"


class KeywordClassifier:
    """A tiny deterministic classifier for dry runs (the real local model takes seconds to train)."""

    def classify(self, text: str, *, few_shots: tuple[Few, ...] = ()) -> Result:
        lowered = text.casefold()
        for department, word in (("support", "refund"), ("sales", "price"), ("product", "crash")):
            if word in lowered:
                return Result(department, 0.8, classifier="local", reason=f"keyword '{word}'")
        return Result("none", 0.3, classifier="local", reason="no keyword")


@dataclass
class Harness:
    services: Services
    slack: FakeSlack
    url: str

    def post(self, body: str, content_type: str) -> tuple[int, str]:
        """POST a body to /slack/events, signed like Slack signs it."""
        stamp = str(int(time.time()))
        digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": f"v0={digest}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def command(self, text: str, user: str = "U1") -> tuple[int, str]:
        form = {
            "command": "/insights",
            "text": text,
            "user_id": user,
            "team_id": "T1",
            "channel_id": "C0SOCIAL",
            "response_url": f"{self.slack.response_url_base}/cmd",
            "trigger_id": "1.2.3",
            "token": "x",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any]) -> tuple[int, str]:
        body = {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        return self.post(json.dumps(body), "application/json")


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `condition()` is truthy (lazy listeners answer on another thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@contextmanager
def running_app(
    engine: Engine, rules: RoutingRules, *, llm: dict[str, str] | None = None
) -> Iterator[Harness]:
    """The whole HTTP front (create_app + WebApp + waitress) wired to a fake Slack workspace."""
    with FakeSlack() as slack:
        settings = Settings(
            slack_bot_token="xoxb-test",
            slack_signing_secret=SECRET,
            slack_api_url=slack.base_url,
            **(llm or {}),  # type: ignore[arg-type]
        )
        services = Services.create(
            settings,
            rules,
            engine,
            Cascade(rules, KeywordClassifier()),
            slack=WebClient(token="xoxb-test", base_url=slack.base_url),
            bot_user_id="UBOT",
        )
        wsgi = WebApp(services, create_app(services))
        server = waitress.create_server(wsgi, host="127.0.0.1", port=0)  # type: ignore[attr-defined]
        with serving(server) as root:
            yield Harness(services, slack, f"{root}/slack/events")
