"""The poller: claim due sources in the database, poll them side by side, store what is new, wake the worker.

One `SourcePoller` per process (the worker role). Each loop reads the sources afresh through
`sources()` (the rules are swapped whole on SIGHUP), claims the due ones — so a restart or another
replica never polls the same source at the same moment — and polls them on a small thread pool, so a
slow or failing source never holds up another. A source that keeps failing is logged when it starts
failing and when it recovers, not on every poll; its state is in the `source_cursor` table.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import metrics
from bot.domain.clock import to_naive_utc, utcnow
from bot.domain.mention import IncomingMention
from bot.domain.sources import SourceConfig
from bot.domain.text import clean_plain
from bot.intake.sources.http import SourceHttp
from bot.intake.sources.items import Item
from bot.intake.sources.poller import PollResult, poll_source, start_cursor
from bot.store.engine import Engine
from bot.store.sources import Claim, claim_due, record_failure, record_success

log = logging.getLogger(__name__)
CLAIM_HOLD = timedelta(minutes=15)  # longer than any poll can take (timeouts x attempts x pages)
MAX_BACKOFF = timedelta(hours=1)  # a failing source is retried at least this often
_OWNER_SEQ = itertools.count(1)


@dataclass(frozen=True)
class Outcome:
    """What one poll of one source did, for logs, the CLI and tests."""

    name: str
    ok: bool
    new: int = 0
    fetched: int = 0
    error: str | None = None


def owner_id() -> str:
    """Who holds a claim: host, process and poller, so two pollers in one process differ too."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{next(_OWNER_SEQ)}"


def as_incoming(item: Item, source_name: str = "") -> IncomingMention | None:
    """An item as a mention to store (None when it has no text at all). Escaping happens at render.

    `source_name` is the `sources:` entry that polled it, kept so cards and /insights can show it."""
    text = clean_plain(item.text)
    if not text:
        return None
    return IncomingMention(
        source_id=item.source_id[:300],
        origin="listener",
        text=text,
        source=item.source,
        author=clean_plain(item.author)[:300],
        url=item.url[:2000],
        lang_hint=(item.lang or "")[:10],
        created_at=to_naive_utc(item.created_at),
        link=(item.link or "")[:2000],
        source_name=source_name,
    )


def next_due(
    config: SourceConfig, now: datetime, failures: int = 0, retry_after: float | None = None
) -> datetime:
    """The next poll: one interval on, doubled per failure in a row (up to an hour), never before
    the service's Retry-After."""
    wait = config.interval * (2 ** min(failures, 6)) if failures else config.interval
    if failures:
        wait = min(wait, max(MAX_BACKOFF, config.interval))
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return now + wait


class SourcePoller:
    """Polls the configured sources that are due; safe to run in any number of processes at once."""

    def __init__(
        self,
        engine: Engine,
        http: SourceHttp,
        sources: Callable[[], Sequence[SourceConfig]],
        *,
        wake: Callable[[], None] = lambda: None,
        threads: int = 4,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.http = http
        self.sources = sources
        self.wake = wake
        self.owner = owner or owner_id()
        self.clock = clock  # naive UTC, like every time in the database
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="source")

    def run_once(self) -> list[Outcome]:
        """Claim the due sources and poll them in parallel; one source's failure stays its own."""
        configs = {config.name: config for config in self.sources()}
        if not configs:
            return []
        claims = claim_due(self.engine, list(configs), self.owner, hold=CLAIM_HOLD, now=self.clock())
        outcomes = list(self._pool.map(lambda c: self._poll(configs[c.name], c), claims))
        metrics.sources_polled((outcome.name, outcome.ok) for outcome in outcomes)
        if any(outcome.new for outcome in outcomes):
            self.wake()
        return outcomes

    def run_forever(self, stop: threading.Event, tick: float = 5.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # e.g. the database is away: try again next tick, never die
                log.exception("polling sources failed; retrying in %.0fs", tick)
            stop.wait(tick)

    def backfill(
        self, config: SourceConfig, since: datetime, progress: Callable[[int], None] | None = None
    ) -> Outcome:
        """Poll `config` once from a cursor reaching back to `since` (up to 50 pages), now, whatever
        its schedule; refused while another poller holds the source."""
        claims = claim_due(
            self.engine, [config.name], self.owner, hold=CLAIM_HOLD, now=self.clock(), ignore_due=True
        )
        if not claims:
            return Outcome(config.name, ok=False, error="another poller is polling it now; try again shortly")
        deep = config.model_copy(update={"max_pages": 50})
        result = poll_source(deep, start_cursor(config, since), self.http)
        outcome = self._record(config, claims[0], result, progress)
        if outcome.new:
            self.wake()
        return outcome

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.http.close()

    def _poll(self, config: SourceConfig, claim: Claim) -> Outcome:
        try:
            result = poll_source(config, claim.cursor, self.http)
            return self._record(config, claim, result)
        except Exception as exc:  # a database error while recording: the claim lapses, retried later
            log.exception("source %s: recording the poll failed", config.name)
            return Outcome(config.name, ok=False, error=f"{type(exc).__name__}: {exc}")

    def _record(
        self,
        config: SourceConfig,
        claim: Claim,
        result: PollResult,
        progress: Callable[[int], None] | None = None,
    ) -> Outcome:
        now = self.clock()
        if not result.ok:
            error = result.error or "unknown error"
            due = next_due(config, now, claim.consecutive_failures + 1, result.retry_after)
            failures = record_failure(self.engine, claim, self.owner, error=error, next_due=due, now=now)
            if failures == 1:  # once, when it starts failing; `python -m bot sources` shows the rest
                log.warning("source %s (%s) failing: %s; next try %s", config.name, config.type, error, due)
            return Outcome(config.name, ok=False, fetched=result.fetched, error=error)
        mentions = [m for m in (as_incoming(item, config.name) for item in result.items) if m is not None]
        stored = record_success(
            self.engine,
            claim,
            self.owner,
            mentions=mentions,
            cursor=result.cursor,
            fetched=result.fetched,
            next_due=next_due(config, now),
            now=now,
            progress=progress,
        )
        if claim.consecutive_failures and stored.kept_claim:
            log.info("source %s recovered after %d failed polls", config.name, claim.consecutive_failures)
        if not stored.kept_claim:
            log.warning("source %s: the claim lapsed during the poll; another poller has it", config.name)
        return Outcome(config.name, ok=stored.kept_claim, new=stored.new, fetched=result.fetched)
