"""Readiness (`GET /readyz`): database, schema, worker threads and backlog, each reported as one check.

`/healthz` only says the process answers (liveness). `/readyz` says whether it can do its job:
- database: a short query answers within `timeout` seconds (run on a helper thread, so a hung
  database costs the caller `timeout`, and at most one probe waits on it at a time);
- schema: the database is at the revision this code needs (`bot.store.migrate.schema_state`);
- workers: every background thread of this process is running (or being restarted) — `--role web`
  runs only `model-sync` (it installs retrained local models), so there readiness is about the
  database and schema;
- backlog: the age of the oldest pending mention and outbox row. Reported, not judged: a long Slack
  outage legitimately keeps rows pending, and taking the web front out of rotation would not help.
- sources: the built-in listeners whose last poll failed, with since when and the last error. Also
  reported, not judged (the check is "degraded", never failing): one dead feed must not get the
  process restarted or taken out of rotation, since the other sources and Slack intake still work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.app.supervise import WorkerStatus
from bot.domain.clock import utcnow
from bot.store.backlog import oldest_pending_ages
from bot.store.engine import Engine, ping
from bot.store.migrate import schema_state
from bot.store.sources import failing_sources

Check = dict[str, Any]


class Workers(Protocol):
    def workers(self) -> list[WorkerStatus]: ...


@dataclass
class Readiness:
    """Answers /readyz for one process: `engine` is its database, `runtime` its threads (None: web role),
    `sources` the configured listeners' names, read on every check (None: every listener with a row)."""

    engine: Engine
    runtime: Workers | None = None
    sources: Callable[[], Sequence[str]] | None = None
    timeout: float = 3.0
    clock: Callable[[], datetime] = utcnow
    _busy: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def check(self) -> tuple[bool, dict[str, Any]]:
        """(ready, body): ready when every check is ok; the body lists each check, the failures and the
        degraded checks (working, but something in them needs a look)."""
        database, schema, backlog, sources = self._database_checks()
        checks = {"database": database, "schema": schema, "workers": self._workers(), "backlog": backlog}
        checks["sources"] = sources
        failing = [name for name, result in checks.items() if not result["ok"]]
        degraded = [name for name, result in checks.items() if result.get("degraded")]
        return not failing, {"ready": not failing, "failing": failing, "degraded": degraded, "checks": checks}

    def _workers(self) -> Check:
        statuses = self.runtime.workers() if self.runtime is not None else []
        if not statuses:
            return {"ok": True, "threads": {}, "note": "this process runs no worker threads (--role web)"}
        threads = {
            s.name: {"state": s.state, "restarts": s.restarts, "last_error": s.last_error} for s in statuses
        }
        return {"ok": all(s.ok for s in statuses), "threads": threads}

    def _database_checks(self) -> tuple[Check, Check, Check, Check]:
        """Run the queries on a helper thread; a hung or unreachable database fails all three checks."""
        if not self._busy.acquire(blocking=False):
            return _unknown("the previous database check has not answered yet")
        box: dict[str, Any] = {}
        probe = threading.Thread(target=self._probe, args=(box,), name="readyz-probe", daemon=True)
        probe.start()
        probe.join(self.timeout)
        if probe.is_alive():
            return _unknown(f"no answer within {self.timeout:g}s")
        if "error" in box:
            return _unknown(f"unreachable: {box['error']}")
        return box["database"], box["schema"], box["backlog"], box["sources"]

    def _probe(self, box: dict[str, Any]) -> None:
        try:
            ping(self.engine)
            box["database"] = {"ok": True}
            box["schema"] = _attempt(self._schema)
            box["backlog"] = _attempt(self._backlog)
            box["sources"] = self._sources()
        except Exception as exc:  # whatever the driver raises, /readyz answers 503 with the reason
            box["error"] = _reason(exc)
        finally:
            self._busy.release()

    def _schema(self) -> Check:
        state = schema_state(self.engine)
        if state.at_head:
            return {"ok": True, "current": state.current, "head": state.head}
        error = f"schema is at {state.current or 'nothing (empty database)'}, this code needs {state.head}"
        return {"ok": False, "current": state.current, "head": state.head, "error": error}

    def _backlog(self) -> Check:
        with self.engine.connect() as conn:
            return {"ok": True, **oldest_pending_ages(conn, self.clock())}

    def _sources(self) -> Check:
        try:
            rows = failing_sources(self.engine, None if self.sources is None else list(self.sources()))
        except Exception as exc:  # e.g. the schema check's problem: that check says so and fails
            return {"ok": True, "degraded": False, "failing": [], "error": _reason(exc)}
        failing = [
            {
                "name": row.name,
                "since": _iso(row.failing_since),  # None for a run that began before revision 0009
                "consecutive_failures": row.consecutive_failures,
                "last_error": row.last_error,
                "last_error_at": _iso(row.last_error_at),
                "last_success_at": _iso(row.last_success_at),
            }
            for row in rows
        ]
        return {"ok": True, "degraded": bool(failing), "failing": failing}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"  # naive UTC in the database


def _attempt(check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:  # e.g. a table the schema lacks: that check fails, the others still answer
        return {"ok": False, "error": _reason(exc)}


def _reason(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _unknown(reason: str) -> tuple[Check, Check, Check, Check]:
    unknown = "unknown: the database did not answer"
    return (
        {"ok": False, "error": reason},
        {"ok": False, "error": unknown},
        {"ok": False, "error": unknown},
        {"ok": True, "degraded": False, "failing": [], "error": unknown},  # the database check fails
    )
