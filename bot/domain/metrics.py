"""The process's Prometheus counters: what was received, classified, posted, and what the LLM and Slack did.

The metric objects live here, at the bottom of the layers, so intake, classify, store and delivery can
count with one line without importing anything above them. prometheus_client is acceptable in the pure
layer because it is an in-process registry: incrementing takes a lock and adds a number, with no I/O,
threads or network (exposition happens only in bot/app/metrics.py, behind GET /metrics).

The objects register in `REGISTRY`, a dedicated CollectorRegistry (not prometheus_client's global one),
which the app layer forwards into each WSGI front's own registry alongside that front's scrape-time
gauges. Labels never carry secrets or mention text: each value is cut to a short [A-Za-z0-9_.-] word, and a
label that has seen `MAX_VALUES` distinct values answers "other" after that, so a client sending a new
`source` with every /ingest call cannot grow the series without bound.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, Counter, Histogram

T = TypeVar("T")
MAX_VALUES = 50  # distinct values per label name before new ones are folded into "other"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

REGISTRY = CollectorRegistry(auto_describe=True)

RECEIVED = Counter(
    "social_router_mentions_received",
    "Mentions stored for the first time (duplicates excluded), by intake origin and source.",
    ["origin", "source"],
    registry=REGISTRY,
)
CLASSIFIED = Counter(
    "social_router_mentions_classified",
    "Classifications recorded, by department and the classifier that decided (llm, local, rules, ...).",
    ["department", "classifier"],
    registry=REGISTRY,
)
POSTED = Counter(
    "social_router_messages_posted",
    "Slack messages the outbox delivered, by kind (card, thread, update, digest, ...) and department.",
    ["kind", "department"],
    registry=REGISTRY,
)
LLM_SECONDS = Histogram(
    "social_router_llm_request_seconds",
    "Duration of each LLM HTTP attempt (retries are separate attempts), by outcome.",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "social_router_llm_tokens",
    "Tokens the LLM provider reported, by type (prompt or completion).",
    ["type"],
    registry=REGISTRY,
)
LLM_ERRORS = Counter(
    "social_router_llm_errors",
    "LLM attempts that failed, by error class (RateLimitError, APITimeoutError, ...).",
    ["error"],
    registry=REGISTRY,
)
SLACK_RATE_LIMITED = Counter(
    "social_router_slack_rate_limited",
    "Slack Web API answers 429 (ratelimited), by API method.",
    ["method"],
    registry=REGISTRY,
)
DIGEST_RUNS = Counter(
    "social_router_digest_runs",
    "Digest slots handled by this process, by digest and outcome (queued, claimed_elsewhere, failed).",
    ["digest", "outcome"],
    registry=REGISTRY,
)
SOURCE_POLLS = Counter(
    "social_router_source_polls",
    "Polls of built-in listeners, by source name and outcome (ok, error).",
    ["source", "outcome"],
    registry=REGISTRY,
)
LABELLED = (
    RECEIVED,
    CLASSIFIED,
    POSTED,
    LLM_SECONDS,
    LLM_TOKENS,
    LLM_ERRORS,
    SLACK_RATE_LIMITED,
    DIGEST_RUNS,
    SOURCE_POLLS,
)

_seen: dict[str, set[str]] = {}
_seen_lock = threading.Lock()


def label(name: str, value: object) -> str:
    """`value` as a safe, bounded label value for label `name` (see the module docstring)."""
    word = _UNSAFE.sub("_", str(value or "").strip()).strip("_")[:40] or "none"
    with _seen_lock:
        seen = _seen.setdefault(name, set())
        if word in seen:
            return word
        if len(seen) >= MAX_VALUES:
            return "other"
        seen.add(word)
    return word


# ---- one call per instrumented point ---------------------------------------------------------------
def mention_received(origin: str, source: str) -> None:
    RECEIVED.labels(label("origin", origin), label("source", source)).inc()


def mention_classified(department: str, classifier: str) -> None:
    CLASSIFIED.labels(label("department", department), label("classifier", classifier)).inc()


def message_posted(kind: str, department: str) -> None:
    POSTED.labels(label("kind", kind), label("department", department)).inc()


def slack_rate_limited(api_url: object) -> None:
    """One 429 from Slack; the method is the last path segment of the call's URL (chat.postMessage)."""
    path = urlsplit(api_url).path if isinstance(api_url, str) else ""
    SLACK_RATE_LIMITED.labels(label("method", path.rstrip("/").rsplit("/", 1)[-1])).inc()


def digest_run(digest: str, outcome: str) -> None:
    DIGEST_RUNS.labels(label("digest", digest), label("outcome", outcome)).inc()


def sources_polled(outcomes: Iterable[tuple[str, bool]]) -> None:
    """(source name, ok) for each poll of one round."""
    for name, ok in outcomes:
        SOURCE_POLLS.labels(label("source", name), "ok" if ok else "error").inc()


def timed_llm_call(call: Callable[[], T]) -> T:
    """Run one LLM HTTP attempt, recording its duration, its error class or the tokens it reports."""
    started = time.perf_counter()
    try:
        answer = call()
    except Exception as exc:
        LLM_SECONDS.labels("error").observe(time.perf_counter() - started)
        LLM_ERRORS.labels(label("error", type(exc).__name__)).inc()
        raise
    LLM_SECONDS.labels("ok").observe(time.perf_counter() - started)
    usage: Any = getattr(answer, "usage", None)
    LLM_TOKENS.labels("prompt").inc(max(int(getattr(usage, "prompt_tokens", 0) or 0), 0))
    LLM_TOKENS.labels("completion").inc(max(int(getattr(usage, "completion_tokens", 0) or 0), 0))
    return answer


def clear() -> None:
    """Forget every series and label value (tests start from zero; a process never needs this)."""
    for metric in LABELLED:
        metric.clear()
    with _seen_lock:
        _seen.clear()
