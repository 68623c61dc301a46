"""The retry policy, failure by failure (no I/O): what each kind of failure does to a row."""

from __future__ import annotations

from bot.delivery.base import OutcomeUnknown, PermanentSendError, RateLimited, TransientSendError
from bot.delivery.policy import RetryPolicy

POLICY = RetryPolicy(backoff_base=2.0, backoff_cap=300.0, jitter=lambda: 1.0)


def test_429_waits_retry_after_pauses_the_channel_and_uses_no_attempt() -> None:
    decision = POLICY.decide(RateLimited(30), attempts=1)
    assert (decision.final, decision.delay, decision.pause_channel, decision.counts) == (False, 30, 30, False)


def test_an_absurd_retry_after_is_capped() -> None:
    assert POLICY.decide(RateLimited(86_400), attempts=1).delay == 600


def test_a_5xx_is_never_final_and_backs_off_to_the_cap() -> None:
    delays = [POLICY.decide(TransientSendError("503"), attempts=n) for n in (1, 2, 3, 9, 1000)]
    assert [d.delay for d in delays] == [2, 4, 8, 300, 300]
    assert not any(d.final or d.uncertain for d in delays)


def test_a_timeout_is_retried_as_uncertain() -> None:
    decision = POLICY.decide(OutcomeUnknown("no answer: TimeoutError"), attempts=1)
    assert (decision.final, decision.uncertain) == (False, True)


def test_a_permanent_error_ends_the_row() -> None:
    decision = POLICY.decide(PermanentSendError("invalid_blocks"), attempts=1)
    assert decision.final and "invalid_blocks" in decision.error


def test_an_unexpected_exception_is_retried_not_fatal() -> None:
    decision = POLICY.decide(KeyError("ts"), attempts=3)
    assert (decision.final, decision.delay, decision.error) == (False, 8, "unexpected KeyError")
