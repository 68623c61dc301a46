"""The HTTP front: POST /slack/events (Bolt), POST /ingest and GET /healthz, served by waitress."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.app.health import Readiness
from bot.context import Services
from bot.intake.ingest import ingest_body

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # 1 MB: larger bodies get 413 before they are read
StartResponse = Callable[..., Any]
Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, body: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode("utf-8")


class WebApp:
    """A small WSGI router. Bad input always gets a 4xx; nothing a client sends can crash the process."""

    def __init__(self, services: Services, bolt_app: App | None, readiness: Readiness | None = None) -> None:
        self.services = services
        self.bolt_app = bolt_app
        self.readiness = readiness or Readiness(services.engine)  # without a runtime: no worker threads
        secret = services.settings.slack_signing_secret
        self.verifier = SignatureVerifier(secret) if secret else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, headers, body = self.route(environ)
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
        if path == "/healthz":
            return self.healthz()
        if path == "/readyz":
            ready, report = self.readiness.check()
            return _json(200 if ready else 503, report)
        if path not in ("/slack/events", "/ingest"):
            return _json(404, {"error": "not found"})
        if method != "POST":
            return _json(405, {"error": "use POST"})
        length = _content_length(environ)
        if length is None or length > MAX_BODY:
            return _json(413 if length else 400, {"error": "body must be between 1 byte and 1 MB"})
        body = environ["wsgi.input"].read(length) if length else b""
        return self.slack_events(environ, body) if path == "/slack/events" else self.ingest(environ, body)

    def healthz(self) -> Answer:
        try:
            with self.services.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.error("health check: database unreachable: %s", exc)
            return _json(503, {"ok": False, "database": "unreachable"})
        return _json(200, {"ok": True})

    def ingest(self, environ: dict[str, Any], body: bytes) -> Answer:
        token = self.services.settings.ingest_token
        if not token:
            return _json(404, {"error": "ingest is disabled: set INGEST_TOKEN"})
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return _json(401, {"error": "missing or wrong bearer token"})
        result = ingest_body(self.services.intake(), body)
        return _json(result.status, result.body)

    def slack_events(self, environ: dict[str, Any], body: bytes) -> Answer:
        headers = _headers(environ)
        if self.bolt_app is None:
            return _json(404, {"error": "Slack is not configured"})
        try:
            body_text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _json(400, {"error": "body is not UTF-8"})
        if self.verifier is not None and not self.verifier.is_valid_request(body_text, headers):
            return _json(401, {"error": "invalid or stale signature"})
        if not _parses(body_text, headers.get("content-type", "")):
            return _json(400, {"error": "malformed body"})
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        response = self.bolt_app.dispatch(BoltRequest(body=body_text, headers=bolt_headers))
        out = {k: v[0] for k, v in response.headers.items() if v}
        payload = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
        return response.status, out, payload


def _content_length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def _parses(body: str, content_type: str) -> bool:
    """Slack sends JSON (events) or a form (commands, and interactivity with a JSON `payload`)."""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(body)
            # an event callback without an event object would crash Bolt's middleware: reject it here
            return isinstance(data, dict) and (
                data.get("type") != "event_callback" or isinstance(data.get("event"), dict)
            )
        form = parse_qs(body, strict_parsing=True)
        if "payload" in form:
            return isinstance(json.loads(form["payload"][0]), dict)
        return "command" in form or "ssl_check" in form
    except ValueError:
        return False


def make_server(wsgi: WebApp, *, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server (port 0 picks a free port; see `.effective_port`); call `.run()` to serve."""
    from waitress.server import create_server

    return create_server(
        wsgi, host=host, port=port, threads=threads, max_request_body_size=MAX_BODY, ident="social-router"
    )


def serve_http(wsgi: WebApp, *, host: str, port: int, threads: int = 8) -> None:
    """Serve with waitress: a production WSGI server, pure Python, that also caps body size."""
    server = make_server(wsgi, host=host, port=port, threads=threads)
    log.info("listening on http://%s:%s (POST /slack/events, POST /ingest, GET /healthz)", host, port)
    server.run()
