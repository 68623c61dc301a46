"""The HTTP front: POST /slack/events (Bolt), POST /ingest, GET /healthz, /readyz and /metrics (waitress).

The worker role serves the same class with `health_only=True`: /healthz, /readyz and /metrics, nothing
that takes input, so a container orchestrator can probe it and Prometheus can scrape it.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Any

from prometheus_client import CollectorRegistry
from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from bot.app.health import Readiness
from bot.app.metrics import app_registry, exposition
from bot.context import Services
from bot.intake.ingest import ingest_body
from bot.slack import payload_guard
from bot.slack.payload_guard import Rejected

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # 1 MB: larger bodies get 413
# waitress reads (buffers) bodies up to this size before the app answers, so the 413 for a body
# between MAX_BODY and DRAIN_LIMIT reaches the client; above it waitress refuses without reading,
# closes, and the client's unread upload may turn that answer into a connection reset.
DRAIN_LIMIT = 4 * MAX_BODY
StartResponse = Callable[..., Any]
Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, body: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode("utf-8")


class WebApp:
    """A small WSGI router. Bad input always gets a 4xx; nothing a client sends can crash the process."""

    def __init__(
        self,
        services: Services,
        bolt_app: App | None,
        readiness: Readiness | None = None,
        *,
        metrics: CollectorRegistry | None = None,
        health_only: bool = False,
    ) -> None:
        self.services = services
        self.bolt_app = bolt_app
        self.readiness = readiness or Readiness(services.engine)  # without a runtime: no worker threads
        self.metrics = metrics or app_registry(services.engine)
        self.health_only = health_only  # the worker role: probes and metrics only, no input endpoints
        secret = services.settings.slack_signing_secret
        self.verifier = SignatureVerifier(secret) if secret else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, headers, body = self.route(environ)
        except Rejected as exc:  # bad input: one log line, never a traceback
            log.warning(
                "%s %s from %s refused %d: %s%s",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                environ.get("REMOTE_ADDR", "?"),
                exc.status,
                exc.reason,
                f" ({exc.detail})" if exc.detail else "",
            )
            status, headers, body = _json(exc.status, {"error": exc.reason})
        except Exception:  # a bug must not take the process down or leak details
            log.exception(
                "unhandled error for %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            )
            status, headers, body = _json(500, {"error": "internal error"})
        start_response(
            f"{status} {HTTPStatus(status).phrase}", [*headers.items(), ("Content-Length", str(len(body)))]
        )
        return [body]

    def route(self, environ: dict[str, Any]) -> Answer:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path == "/healthz":  # liveness: the process answers; the database is /readyz's business
            return _json(200, {"ok": True})
        if path == "/readyz":
            ready, report = self.readiness.check()
            return _json(200 if ready else 503, report)
        if path == "/metrics":
            headers, body = exposition(self.metrics)
            return 200, headers, body
        if self.health_only or path not in ("/slack/events", "/ingest"):
            return _json(404, {"error": "not found"})
        if method != "POST":
            return _json(405, {"error": "use POST"})
        length = _content_length(environ)
        if length is None or length > MAX_BODY:
            raise Rejected(413 if length else 400, "body must be between 1 byte and 1 MB")
        body = environ["wsgi.input"].read(length) if length else b""
        return self.slack_events(environ, body) if path == "/slack/events" else self.ingest(environ, body)

    def ingest(self, environ: dict[str, Any], body: bytes) -> Answer:
        token = self.services.settings.ingest_token
        if not token:
            return _json(404, {"error": "ingest is disabled: set INGEST_TOKEN"})
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise Rejected(401, "missing or wrong bearer token")
        result = ingest_body(self.services.intake(), body)
        if result.status >= 400:
            raise Rejected(result.status, str(result.body.get("error", "bad request")))
        return _json(result.status, result.body)

    def slack_events(self, environ: dict[str, Any], body: bytes) -> Answer:
        headers = _headers(environ)
        if self.bolt_app is None:
            return _json(404, {"error": "Slack is not configured"})
        body_text, payload, headers["content-type"] = payload_guard.admit(body, headers, self.verifier)
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        try:
            request = GuardedRequest(body=body_text, payload=payload, headers=bolt_headers)
        except payload_guard.INPUT_ERRORS as exc:  # a shape the guard missed: still the client's
            detail = payload_guard.describe(exc)
            raise Rejected(400, "malformed body: unexpected payload shape", detail) from None
        response = self.bolt_app.dispatch(request)
        out = {k: v[0] for k, v in response.headers.items() if v}
        answer = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
        return response.status, out, answer


class GuardedRequest(BoltRequest):
    """A Bolt request whose body is the guard's parse of the raw text, in every copy of it.

    Bolt reads any form body that merely contains the word "payload" (`/insights search payload`)
    as an interaction and finds nothing in it; its lazy listeners re-parse a copy the same way.
    """

    def __init__(
        self,
        *,
        body: str,
        payload: dict[str, Any],
        headers: dict[str, str | Sequence[str]],
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(body=body, headers=headers, context=context)
        if self.body != payload:
            self.body = payload
            self.context = build_context(BoltContext(context or {}), payload)

    def to_copyable(self) -> BoltRequest:
        headers: dict[str, str | Sequence[str]] = dict(self.headers)
        return GuardedRequest(
            body=self.raw_body, payload=self.body, headers=headers, context=self.context.to_copyable()
        )


def _content_length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    # X-Slack-Bolt-* are Bolt's internal lazy-listener switches (skip the ack, run one lazy function
    # inline); the signature does not cover headers, so a client must not be able to set them.
    headers = {
        k[5:].replace("_", "-").lower(): str(v)
        for k, v in environ.items()
        if k.startswith("HTTP_") and not k.startswith("HTTP_X_SLACK_BOLT_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def make_server(wsgi: WebApp, *, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server (port 0 picks a free port; see `.effective_port`); call `.run()` to serve."""
    from waitress.server import create_server

    return create_server(
        wsgi, host=host, port=port, threads=threads, max_request_body_size=DRAIN_LIMIT, ident="social-router"
    )
