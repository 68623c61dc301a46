"""The polite client: User-Agent, pacing per host, Retry-After forms, timeouts, oversized bodies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2
import pytest

from bot.intake.sources import SourceError, SourceHttp
from bot.intake.sources.http import MAX_BODY_BYTES, retry_after
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import FakeTime


def test_pacing_spaces_requests_to_one_host(fake: FakeSources, time_: FakeTime) -> None:
    client = SourceHttp(sleep=time_.sleep, clock=time_.clock)
    for _ in range(3):
        client.request("GET", fake.url("masto") + "/api/v1/timelines/tag/x", pace=6.0)
    time_.now += 10  # longer than the pace: no wait
    client.request("GET", fake.url("masto") + "/api/v1/timelines/tag/x", pace=6.0)
    client.close()
    assert time_.waits == [6.0, 6.0]


def test_user_agent_is_descriptive(fake: FakeSources, http: SourceHttp) -> None:
    http.request("GET", fake.url("masto") + "/api/v1/timelines/tag/x")
    agent = fake.calls("masto")[0].headers["user-agent"]
    assert agent.startswith("social-router/") and "(+https://" in agent


def test_retry_after_forms() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert retry_after(httpx2.Headers({"Retry-After": "12"}), now) == 12.0
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after(httpx2.Headers({"Retry-After": later}), now) == 90.0
    reset = (now + timedelta(minutes=5)).isoformat()
    assert retry_after(httpx2.Headers({"X-RateLimit-Reset": reset}), now) == 300.0
    assert retry_after(httpx2.Headers({"Retry-After": "soon"}), now) is None
    assert retry_after(httpx2.Headers({}), now) is None


def test_429_without_hint_backs_off(fake: FakeSources, http: SourceHttp, time_: FakeTime) -> None:
    fake.queue("masto", status=429, body={"error": "Too many requests"})
    assert http.request("GET", fake.url("masto") + "/api/v1/timelines/tag/x").status_code == 200
    assert time_.waits == [1.0]


def test_4xx_is_not_retried(fake: FakeSources, http: SourceHttp) -> None:
    fake.queue("masto", status=404, body={"error": "Record not found"})
    with pytest.raises(SourceError) as raised:
        http.request("GET", fake.url("masto") + "/api/v1/timelines/tag/x")
    assert raised.value.status == 404 and "Record not found" in str(raised.value)
    assert len(fake.calls("masto")) == 1


class _Stalling(BaseHTTPRequestHandler):
    """Answers after the client's timeout, or with a body larger than the limit."""

    release = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/big":
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
                self.wfile.write(chunk)
            return
        self.release.wait(5)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stalling() -> object:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Stalling.release.set()
    server.shutdown()
    server.server_close()


def test_timeout_is_retried_then_reported(stalling: str, time_: FakeTime) -> None:
    client = SourceHttp(timeout=0.2, max_attempts=2, sleep=time_.sleep, clock=time_.clock)
    with pytest.raises(SourceError) as raised:
        client.request("GET", stalling + "/slow")
    client.close()
    assert "ReadTimeout" in str(raised.value) and "gave up after 2 attempts" in str(raised.value)
    assert time_.waits == [1.0]


def test_oversized_body_is_refused(stalling: str, http: SourceHttp) -> None:
    with pytest.raises(SourceError) as raised:
        http.request("GET", stalling + "/big")
    assert "larger than" in str(raised.value)


def test_connection_refused_is_an_error(http: SourceHttp, time_: FakeTime) -> None:
    with pytest.raises(SourceError) as raised:
        http.request("GET", "http://127.0.0.1:9/nothing")
    assert "ConnectError" in str(raised.value) and time_.waits == [1.0, 2.0, 4.0]
