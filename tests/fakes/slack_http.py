"""The fake Slack's HTTP side: request parsing and the handler class that feeds FakeSlack.handle."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.http import send_reply


class SlackHandling(Protocol):
    def handle(
        self, method: str, body: dict[str, Any], headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]: ...

    def receive_upload(self, file_id: str, raw: bytes) -> None: ...


def parse_body(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    body: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not raw:
        return body
    if "json" in content_type:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return body
        body.update(parsed if isinstance(parsed, dict) else {"_json": parsed})
    elif "x-www-form-urlencoded" in content_type:
        body.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return body


def handler_for(fake: SlackHandling) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = parse_body(raw, headers.get("content-type", ""), url.query)
            parts = url.path.strip("/").split("/")
            method = parts[1] if parts[0] == "api" and len(parts) > 1 else parts[0]
            if method == "upload" and len(parts) > 1:
                fake.receive_upload(parts[1], raw)
            send_reply(self, fake.handle(method, body, headers, raw))

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler
