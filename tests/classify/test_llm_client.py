"""Tests for the shared LLM client and retry policy, over real HTTP to the fake OpenAI server."""

from __future__ import annotations

import email.utils
import logging
import socket
import time
from collections.abc import Iterator

import openai
import pytest
from openai import OpenAI

from bot.classify.llm_client import call_with_retries, chat_text, make_openai_client, retry_after_seconds
from bot.domain.errors import ClassifierUnavailable
from bot.domain.settings import Settings
from tests.fakes.openai_server import FakeOpenAI, completion_body

SECRET_KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def client_for(fake: FakeOpenAI, timeout: float = 5.0) -> OpenAI:
    settings = Settings(openai_api_key=SECRET_KEY, openai_base_url=fake.base_url, openai_timeout=timeout)
    return make_openai_client(settings)


def test_client_has_sdk_retries_off_and_settings_applied(fake: FakeOpenAI) -> None:
    client = client_for(fake, timeout=3.0)
    assert client.max_retries == 0
    assert str(client.base_url).rstrip("/") == fake.base_url
    assert client.timeout == 3.0


def test_client_without_key_is_refused() -> None:
    with pytest.raises(ClassifierUnavailable, match="OPENAI_API_KEY"):
        make_openai_client(Settings(openai_api_key=None))


def test_chat_text_returns_text_usage_and_sends_bounded_request(fake: FakeOpenAI) -> None:
    fake.queue(body=completion_body("  Volume is up 12%.  ", prompt_tokens=33, completion_tokens=7))
    answer = chat_text(
        client_for(fake), "my-model", system="Be brief.", user="How are we doing?", max_tokens=50
    )
    assert answer.text == "Volume is up 12%."
    assert (answer.prompt_tokens, answer.completion_tokens) == (33, 7)
    assert answer.latency_ms > 0
    sent = fake.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent["body"]["model"] == "my-model"
    assert sent["body"]["temperature"] == 0
    assert sent["body"]["max_completion_tokens"] == 50
    assert sent["body"]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "How are we doing?"},
    ]


def test_chat_text_empty_answer_is_unavailable(fake: FakeOpenAI) -> None:
    fake.queue(body=completion_body(""))
    with pytest.raises(ClassifierUnavailable, match="empty"):
        chat_text(client_for(fake), "m", system="s", user="u")


def test_one_attempt_means_one_request_no_stacked_sdk_retries(fake: FakeOpenAI) -> None:
    fake.queue(status=500, body={"error": {"message": "boom", "type": "server_error"}})
    client = client_for(fake)
    with pytest.raises(ClassifierUnavailable, match="HTTP 500"):
        call_with_retries(lambda: client.chat.completions.create(model="m", messages=[]), attempts=1)
    assert len(fake.requests) == 1


def test_retry_after_is_honoured_then_success(fake: FakeOpenAI) -> None:
    fake.queue(
        status=429,
        body={"error": {"message": "slow down", "type": "rate_limit"}},
        headers={"Retry-After": "1"},
    )
    fake.queue(body=completion_body("ok"))
    answer = chat_text(client_for(fake), "m", system="s", user="u", attempts=3)
    assert answer.text == "ok"
    assert len(fake.requests) == 2
    # A lower bound only: the retry must not come before the server said it may.
    assert fake.requests[1]["at"] - fake.requests[0]["at"] >= 0.99


def test_html_5xx_body_is_retried(fake: FakeOpenAI) -> None:
    fake.queue(
        status=502,
        body="<html><body><h1>502 Bad Gateway</h1></body></html>",
        headers={"Retry-After-Ms": "50"},
    )
    fake.queue(body=completion_body("recovered"))
    assert chat_text(client_for(fake), "m", system="s", user="u").text == "recovered"
    assert [r["path"] for r in fake.requests] == ["/v1/chat/completions"] * 2


def test_persistent_5xx_ends_as_classifier_unavailable(fake: FakeOpenAI) -> None:
    for _ in range(2):
        fake.queue(
            status=500,
            body={"error": {"message": "boom", "type": "server_error"}},
            headers={"Retry-After-Ms": "10"},
        )
    with pytest.raises(ClassifierUnavailable) as info:
        chat_text(client_for(fake), "m", system="s", user="u", attempts=2)
    assert str(info.value) == "LLM unavailable: HTTP 500 (InternalServerError) after 2 attempts"
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [400, 404, 422])
def test_client_errors_are_not_retried(fake: FakeOpenAI, status: int) -> None:
    fake.queue(status=status, body={"error": {"message": "bad request", "type": "invalid_request_error"}})
    with pytest.raises(ClassifierUnavailable, match=f"HTTP {status}"):
        chat_text(client_for(fake), "m", system="s", user="u", attempts=3)
    assert len(fake.requests) == 1


def test_api_key_never_appears_in_error_or_logs(fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    fake.queue(
        status=429,
        headers={"Retry-After": "0"},
        body={"error": {"message": f"Rate limit for key {SECRET_KEY}", "type": "rate_limit"}},
    )
    fake.queue(status=401, body={"error": {"message": f"Incorrect API key provided: {SECRET_KEY}"}})
    with pytest.raises(ClassifierUnavailable) as info:
        chat_text(client_for(fake), "m", system="s", user="u", attempts=3)
    assert "HTTP 401 (AuthenticationError)" in str(info.value)
    assert SECRET_KEY not in str(info.value) and SECRET_KEY not in repr(info.value)
    assert "HTTP 429" in caplog.text
    assert SECRET_KEY not in caplog.text
    assert len(fake.requests) == 2


def test_timeout_ends_as_classifier_unavailable(fake: FakeOpenAI) -> None:
    fake.queue(delay=1.5, body=completion_body("too late"))
    fake.queue(delay=1.5, body=completion_body("too late"))
    with pytest.raises(ClassifierUnavailable, match="timed out after 2 attempts"):
        chat_text(client_for(fake, timeout=0.5), "m", system="s", user="u", attempts=2)
    assert len(fake.requests) == 2


def test_connection_refused_ends_as_classifier_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_openai_client(
        Settings(openai_api_key=SECRET_KEY, openai_base_url=f"http://127.0.0.1:{port}/v1", openai_timeout=1)
    )
    with pytest.raises(ClassifierUnavailable, match="could not connect"):
        chat_text(client, "m", system="s", user="u", attempts=1)


def test_retry_after_parses_seconds_milliseconds_and_http_dates(fake: FakeOpenAI) -> None:
    client = client_for(fake)
    in_30s = email.utils.formatdate(time.time() + 30, usegmt=True)
    for headers in ({"Retry-After": "7"}, {"retry-after-ms": "1500"}, {"Retry-After": in_30s}, {}):
        fake.queue(status=429, body={"error": {"message": "slow"}}, headers=headers)
    waits = []
    for _ in range(4):
        with pytest.raises(openai.RateLimitError) as info:
            client.chat.completions.create(model="m", messages=[])
        waits.append(retry_after_seconds(info.value))
    assert waits[0] == 7.0
    assert waits[1] == 1.5
    assert waits[2] is not None and 25 <= waits[2] <= 31
    assert waits[3] is None


def test_long_retry_after_is_capped_by_max_wait(fake: FakeOpenAI) -> None:
    fake.queue(status=429, body={"error": {"message": "slow"}}, headers={"Retry-After": "3600"})
    fake.queue(body=completion_body("answer"))
    client = client_for(fake)
    response = call_with_retries(
        lambda: client.chat.completions.create(model="m", messages=[]), attempts=2, max_wait=0.1
    )
    assert response.choices[0].message.content == "answer"
    assert len(fake.requests) == 2
