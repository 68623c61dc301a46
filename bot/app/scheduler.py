"""Scheduled jobs (APScheduler 3): digests in their own timezone, sent exactly once; the spike check.

Exactly-once does not rely on APScheduler: jobs live in memory and are rebuilt from the rules file on
every start/reload (stable ids, replace_existing). What makes a slot send once — across restarts,
crashes, 429 storms and several processes — is one transaction: a row with a unique (digest_name,
slot) key is inserted together with the slot's outbox messages. Whoever commits it has queued the
digest, everyone else skips; the outbox then delivers each message exactly once, retrying transient
errors for as long as Slack needs. The digest is composed before that transaction (it may call an LLM).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.context import Services
from bot.domain import metrics
from bot.domain.clock import utcnow
from bot.domain.rules import Digest, RoutingRules, parse_duration
from bot.store.digest_runs import claim_slot, forget_runs, last_run

log = logging.getLogger(__name__)
LATE_AFTER = timedelta(minutes=15)  # a slot sent later than this says so in the message
ALERT_JOB = "alerts:spike"
CATCH_UP_JOB = "digest-catch-up"
RETRAIN_JOB = "retrain:nightly"
_LOOKBACKS = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=367),
)


def digest_trigger(digest: Digest) -> CronTrigger:
    return CronTrigger.from_crontab(digest.cron, timezone=ZoneInfo(digest.timezone))


def latest_slot(digest: Digest, now: datetime) -> datetime | None:
    """The most recent fire time ≤ now (naive UTC), computed in the digest's timezone (DST-aware)."""
    trigger = digest_trigger(digest)
    aware_now = now.replace(tzinfo=UTC)
    for lookback in _LOOKBACKS:  # short lookbacks first, so an every-minute cron does not iterate a year
        fire = trigger.get_next_fire_time(None, aware_now - lookback)
        if fire is None or fire > aware_now:
            continue
        while True:
            following = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
            if following is None or following > aware_now:
                due: datetime = fire.astimezone(UTC).replace(tzinfo=None)
                return due
            fire = following
    return None


def missed_slots(digest: Digest, *, last_run: datetime | None, now: datetime) -> list[datetime]:
    """Slots to catch up after downtime: only the most recent one (older ones are stale news).

    Nothing when the digest never ran (a fresh install does not owe anyone a digest).
    """
    if last_run is None:
        return []
    slot = latest_slot(digest, now)
    return [slot] if slot is not None and slot > last_run else []


def floor_time(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1)
    return moment - (moment - epoch) % step


class SchedulerRunner:
    """Owns the BackgroundScheduler; job functions are public so tests can run them with a frozen clock."""

    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], datetime] = utcnow,
        nightly_retrain: Callable[[], None] | None = None,
    ) -> None:
        self._services = services
        self._clock = clock
        self._nightly_retrain = nightly_retrain  # asks the retrainer thread; training never runs here
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(timezone=UTC)

    @property
    def services(self) -> Services:
        return self._services

    @property
    def scheduler(self) -> BackgroundScheduler:
        return self._scheduler

    def start(self, *, paused: bool = False) -> None:
        self._scheduler.start(paused=paused)
        self.reload()
        # catch up on a slot missed during downtime, in the scheduler's thread so startup is not delayed
        self._scheduler.add_job(self.catch_up, id=CATCH_UP_JOB, replace_existing=True)

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    @property
    def _rules(self) -> RoutingRules:
        return self._services.rules  # the current rules file, swapped whole on reload

    def reload(self) -> None:
        """Make the jobs match the current rules: add/replace by stable id, drop jobs no longer configured."""
        with self._lock:
            rules = self._rules
            wanted: set[str] = set()
            for digest in rules.digests:
                job_id = f"digest:{digest.name}"
                wanted.add(job_id)
                self._scheduler.add_job(
                    self.run_digest,
                    digest_trigger(digest),
                    args=[digest.name],
                    id=job_id,
                    name=job_id,
                    replace_existing=True,
                    coalesce=True,
                    max_instances=1,
                    misfire_grace_time=int(LATE_AFTER.total_seconds()),
                )
            if rules.alerts is not None:
                wanted.add(ALERT_JOB)
                every = parse_duration(rules.alerts.check_every)
                self._scheduler.add_job(
                    self.run_alerts,
                    IntervalTrigger(seconds=int(every.total_seconds())),
                    id=ALERT_JOB,
                    name=ALERT_JOB,
                    replace_existing=True,
                    coalesce=True,
                    max_instances=1,
                )
            hour = self._services.settings.retrain_hour
            if self._nightly_retrain is not None and hour is not None:
                wanted.add(RETRAIN_JOB)
                self._scheduler.add_job(
                    self._nightly_retrain,
                    CronTrigger(hour=hour, minute=0, timezone=UTC),
                    id=RETRAIN_JOB,
                    name=RETRAIN_JOB,
                    replace_existing=True,
                    coalesce=True,
                    max_instances=1,
                )
            for job in self._scheduler.get_jobs():
                if job.id not in wanted and job.id != CATCH_UP_JOB:
                    job.remove()
        log.info("scheduler jobs: %s", ", ".join(sorted(wanted)) or "(none)")

    def _digest(self, name: str) -> Digest | None:
        return next((d for d in self._rules.digests if d.name == name), None)

    def run_digest(self, name: str) -> bool:
        """The cron job: send the slot that just came due (or the latest one, if the job ran late)."""
        digest = self._digest(name)
        now = self._clock()
        slot = latest_slot(digest, now) if digest else None
        if digest is None or slot is None:
            return False
        return self.send_slot(digest, slot, now=now)

    def catch_up(self) -> list[str]:
        """After a start: send each digest's most recent missed slot once, late. Returns what was sent."""
        sent = []
        now = self._clock()
        for digest in self._rules.digests:
            for slot in missed_slots(digest, last_run=last_run(self._services.engine, digest.name), now=now):
                if self.send_slot(digest, slot, now=now):
                    sent.append(f"{digest.name}@{slot:%Y-%m-%d %H:%M}")
        return sent

    def send_slot(self, digest: Digest, slot: datetime, *, now: datetime) -> bool:
        """Compose, then claim the slot and queue its messages atomically; True for the one that did."""
        from bot.reports.digests.send import compose_digest, enqueue_digest

        late = now - slot > LATE_AFTER
        try:
            messages, chart = compose_digest(self._services, digest, slot=slot, late=late)
        except Exception:  # nothing claimed: the next run (or catch-up after a restart) tries again
            log.exception("digest %s slot %s could not be composed", digest.name, slot)
            metrics.digest_run(digest.name, "failed")
            return False
        key = f"{slot:%Y-%m-%dT%H:%M}"
        queue = partial(enqueue_digest, digest=digest, key=key, messages=messages, chart=chart, end=slot)
        if not claim_slot(self._services.engine, digest.name, slot, late=late, then=queue):
            log.info("digest %s slot %s already claimed elsewhere; skipping", digest.name, slot)
            metrics.digest_run(digest.name, "claimed_elsewhere")
            return False
        self._services.delivery_ready.set()
        metrics.digest_run(digest.name, "queued")
        log.info(
            "digest %s slot %s queued for %d recipients (late=%s)", digest.name, slot, len(messages), late
        )
        return True

    def run_alerts(self) -> bool:
        """The spike check; each check interval runs in one process only (claimed like a digest slot)."""
        from bot.reports.alerts import check_spikes

        alerts = self._rules.alerts
        if alerts is None:
            return False
        now = self._clock()
        engine = self._services.engine
        if not claim_slot(engine, ALERT_JOB, floor_time(now, parse_duration(alerts.check_every)), late=False):
            return False
        try:
            check_spikes(self._services, now=now)
        except Exception:
            log.exception("spike check failed")
        forget_runs(engine, ALERT_JOB, now - timedelta(days=1))  # the check's claims are only needed briefly
        return True
