"""The one LLM client and the one retry policy every LLM call goes through.

The SDK's own retries are switched off (`max_retries=0`) so that tenacity alone decides what is retried
and how long to wait: two retry layers would multiply attempts and ignore each other's waits.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import openai
from openai import NOT_GIVEN, NotGiven, Omit, OpenAI, omit
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from bot.classify.limiter import LLMLimiter
from bot.domain import metrics
from bot.domain.errors import ClassifierUnavailable
from bot.domain.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# 408 and 409 are transient on OpenAI's side (request timeout, lock contention), like 429 and 5xx.
RETRYABLE_STATUS = frozenset({408, 409, 429})
INITIAL_WAIT = 0.5
MIN_ATTEMPT_SECONDS = 0.2  # not worth starting an attempt with less time than this left


class Deadline:
    """One overall time budget for every attempt of one call: attempts and waits all count against it.

    Without it a hung server costs `attempts × timeout` plus the waits (three 20 s timeouts = 60 s per
    mention); with it the caller gives up at `seconds` and answers another way (the local fallback).
    """

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._ends = None if seconds is None else clock() + seconds

    def remaining(self) -> float | None:
        """Seconds left, or None when there is no deadline."""
        return None if self._ends is None else max(0.0, self._ends - self._clock())

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left < MIN_ATTEMPT_SECONDS

    def timeout(self, per_attempt: float | None) -> float | None:
        """The timeout for the next attempt: the per-attempt one, cut to what is left of the budget."""
        left = self.remaining()
        if left is None:
            return per_attempt
        return left if per_attempt is None else min(per_attempt, left)


@dataclass(frozen=True)
class ChatAnswer:
    """A plain-text completion with what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float


def make_openai_client(settings: Settings) -> OpenAI:
    """The OpenAI client for these settings; retries are owned by `call_with_retries`."""
    if not settings.openai_api_key:
        raise ClassifierUnavailable("the LLM is disabled: OPENAI_API_KEY is not set")
    return OpenAI(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout,
        max_retries=0,
    )


def is_retryable(exc: BaseException) -> bool:
    """Transient failures only: a 400/401/403/404/422 will fail the same way every time."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code in RETRYABLE_STATUS
    return False


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait the server asked for (retry-after-ms, Retry-After seconds or HTTP date), if any."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) / divisor
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    raw_date = headers.get("retry-after")
    if not raw_date:
        return None
    try:
        return max(0.0, email.utils.parsedate_to_datetime(raw_date).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


class _Wait:
    """Honour Retry-After (capped), otherwise exponential backoff with jitter; never past the deadline."""

    def __init__(self, max_wait: float, deadline: Deadline) -> None:
        self.max_wait = max_wait
        self.deadline = deadline
        self.backoff = wait_exponential_jitter(multiplier=INITIAL_WAIT, max=max_wait, jitter=INITIAL_WAIT)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc) if exc else None
        wait = min(asked, self.max_wait) if asked is not None else float(self.backoff(state))
        left = self.deadline.remaining()
        return wait if left is None else min(wait, left)


class _DeadlinePassed(stop_base):
    """Stop retrying once the deadline leaves no time for another attempt."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.stopped = False  # True once the deadline, not the attempt count, ended the retries

    def __call__(self, retry_state: RetryCallState) -> bool:
        left = self.deadline.remaining()
        # tenacity computes the wait before asking whether to stop: count the wait against the budget
        self.stopped = left is not None and left - retry_state.upcoming_sleep < MIN_ATTEMPT_SECONDS
        return self.stopped


def describe(exc: BaseException) -> str:
    """A short, secret-free reason. The SDK's messages can echo the key (401), so they are never used."""
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect to the LLM server"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} ({type(exc).__name__})"
    return type(exc).__name__


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning(
        "LLM call failed (%s); retry %d in %.1fs", describe(exc) if exc else "?", state.attempt_number, wait
    )


def call_with_retries(
    fn: Callable[[], T],
    *,
    attempts: int = 3,
    max_wait: float = 20.0,
    deadline: Deadline | None = None,
    limiter: LLMLimiter | None = None,
) -> T:
    """Run one LLM call under the shared policy; any failure ends as ClassifierUnavailable.

    With a `deadline`, no attempt starts once it has passed (`fn` should take its timeout from
    `deadline.timeout(...)` so that a hung attempt ends with it too). With a `limiter`, each attempt
    waits for a call slot, and a 429's Retry-After pauses every caller sharing it (this caller's own
    wait stays tenacity's, so the two never add up).
    """
    budget = deadline or Deadline(None)
    out_of_time = _DeadlinePassed(budget)
    retrying = Retrying(
        stop=stop_any(stop_after_attempt(max(1, attempts)), out_of_time),
        wait=_Wait(max_wait, budget),
        retry=retry_if_exception(is_retryable),
        before_sleep=_log_retry,
        reraise=True,
    )
    tried = 0

    def attempt() -> T:
        nonlocal tried
        tried += 1
        timed = partial(metrics.timed_llm_call, fn)  # the HTTP attempt itself, not the wait for a slot
        return timed() if limiter is None else _limited(timed, limiter, max_wait)

    try:
        return retrying(attempt)
    except openai.OpenAIError as exc:
        suffix = f" after {tried} attempts" if is_retryable(exc) and tried > 1 else ""
        if is_retryable(exc) and out_of_time.stopped and budget.seconds is not None:
            suffix += f"; deadline of {budget.seconds:g}s reached"
        raise ClassifierUnavailable(f"LLM unavailable: {describe(exc)}{suffix}") from None


def _limited(fn: Callable[[], T], limiter: LLMLimiter, max_wait: float) -> T:
    with limiter.slot():
        try:
            return fn()
        except openai.APIStatusError as exc:
            asked = retry_after_seconds(exc) if exc.status_code == 429 else None
            if asked is not None:
                limiter.pause(min(asked, max_wait))
            raise


def chat_text(
    client: OpenAI,
    model: str,
    *,
    system: str,
    user: str,
    max_tokens: int = 400,
    attempts: int = 3,
    deadline: float | None = None,
    limiter: LLMLimiter | None = None,
) -> ChatAnswer:
    """A plain-text completion (insights answers, digest summaries) under the same retry policy, one
    `deadline` for every attempt, and the classifier's `limiter` when given (one 429 pause for all)."""
    started = time.perf_counter()
    response = complete_chat(
        client,
        model,
        system=system,
        user=user,
        max_tokens=max_tokens,
        attempts=attempts,
        deadline=deadline,
        limiter=limiter,
    )
    latency_ms = (time.perf_counter() - started) * 1000
    text = (response.choices[0].message.content or "").strip() if response.choices else ""
    if not text:
        raise ClassifierUnavailable("LLM returned an empty answer")
    usage = response.usage
    return ChatAnswer(
        text=text,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        latency_ms=latency_ms,
    )


def complete_chat(
    client: OpenAI,
    model: str,
    *,
    system: str,
    user: str,
    max_tokens: int,
    attempts: int,
    deadline: float | None,
    limiter: LLMLimiter | None,
    response_format: ResponseFormatJSONSchema | Omit = omit,
) -> ChatCompletion:
    """One chat completion under the shared retry policy and `limiter`, with one `deadline` (seconds, or
    None) covering every attempt and wait: each attempt's timeout is cut to what is left of it."""
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": system},
        {"role": "user", "content": user},
    ]
    budget = Deadline(deadline)  # one budget per request, started before the first attempt
    per_attempt = client.timeout if isinstance(client.timeout, int | float) else None

    def timeout() -> float | NotGiven:  # None would mean "no timeout" to the SDK
        left = budget.timeout(per_attempt)
        return NOT_GIVEN if left is None else left

    return call_with_retries(
        lambda: client.chat.completions.create(
            model=model,
            messages=messages,
            response_format=response_format,
            temperature=0,
            max_completion_tokens=max_tokens,
            timeout=timeout(),
        ),
        attempts=attempts,
        deadline=budget,
        limiter=limiter,
    )
