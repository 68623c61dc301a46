"""Plumbing shared by the HTTP fakes: a threaded server on 127.0.0.1 port 0 and scripted replies."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Scripted:
    """A queued reply: a status, a JSON (dict) or raw HTML (str) body, extra headers, and a delay."""

    status: int
    body: dict[str, Any] | str | None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def reply(self, default_body: dict[str, Any]) -> Reply:
        """Sleep the delay, then the status, headers and bytes to send (HTML when the body is a str)."""
        if self.delay:
            time.sleep(self.delay)
        if isinstance(self.body, str):
            return (
                self.status,
                {"Content-Type": "text/html; charset=utf-8", **self.headers},
                self.body.encode(),
            )
        body = self.body if self.body is not None else default_body
        return (
            self.status,
            {"Content-Type": "application/json; charset=utf-8", **self.headers},
            json.dumps(body).encode(),
        )


def send_reply(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Write one reply; a client that already gave up (timeout tests) is not an error."""
    status, headers, payload = reply
    try:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass


class ThreadedFake:
    """Start/stop a ThreadingHTTPServer for a fake; subclasses give the handler and learn their root URL."""

    _server: ThreadingHTTPServer | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def on_started(self, root: str) -> None:
        """Called with "http://127.0.0.1:PORT" once the server listens."""

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self._server.daemon_threads = True
        self.on_started(f"http://127.0.0.1:{self._server.server_address[1]}")
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serving(server: Any) -> Iterator[str]:
    """Run a waitress server (the app's own front) on a thread; yield its root URL; stop it cleanly.

    Stopping finishes the requests in flight before the sockets close: closing first made a task
    thread write to a closed trigger (EBADF), an unhandled thread exception once warnings are errors.
    """

    def run() -> None:
        with contextlib.suppress(OSError):  # close() from this thread can land mid-select(): EBADF there
            server.run()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown(timeout=5)
        server.close()
        thread.join(5)
