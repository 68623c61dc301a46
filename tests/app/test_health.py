"""GET /readyz over real HTTP: database, schema, worker threads and backlog; /healthz is liveness only."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.app.health import Readiness
from bot.app.runtime import Runtime, start_pipeline_workers
from bot.app.supervise import EXIT_WORKER_DIED, RestartPolicy
from bot.app.web import WebApp, make_server
from bot.delivery.senders import SlackSender
from bot.domain.clock import utcnow
from bot.domain.rules import RoutingRules
from bot.store.engine import make_engine
from bot.store.migrate import head_revision
from tests.fakes.http import serving
from tests.harness import Pipeline, message, pipeline, wait_for

FAST = RestartPolicy(max_restarts=2, backoff=0.0)


@contextmanager
def served(p: Pipeline, readiness: Readiness) -> Iterator[str]:
    """The app's WebApp with `readiness`, on its own port (the harness serves one without a runtime)."""
    services = replace(p.services, engine=readiness.engine)  # the front and its probes see one database
    server = make_server(WebApp(services, None, readiness), host="127.0.0.1", port=0)

    with serving(server) as root:
        yield root


def get(root: str, path: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(root + path, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@contextmanager
def runtime_with_workers(p: Pipeline, exits: list[int]) -> Iterator[Runtime]:
    runtime = Runtime(policy=FAST, exit_process=exits.append)
    assert p.services.slack is not None
    start_pipeline_workers(p.services, SlackSender(p.services.slack), runtime)
    try:
        yield runtime
    finally:
        runtime.shutdown(timeout=5)


def test_ready_when_database_schema_and_workers_are_fine(engine: Engine, rules: RoutingRules) -> None:
    exits: list[int] = []
    with (
        pipeline(engine, rules) as p,
        runtime_with_workers(p, exits) as runtime,
        served(p, Readiness(p.services.engine, runtime)) as root,
    ):
        assert p.event(message("glassdoor: ready and routing", "1700000030.000100"))[0] == 200
        wait_for(lambda: len(p.cards()) == 1)
        status, body = get(root, "/readyz")
        assert status == 200 and body["ready"] is True and body["failing"] == []
        checks = body["checks"]
        assert checks["database"] == {"ok": True}
        assert checks["schema"] == {"ok": True, "current": head_revision(), "head": head_revision()}
        threads = checks["workers"]["threads"]
        assert {name: t["state"] for name, t in threads.items()} == {
            "classify": "running",
            "deliver": "running",
        }
        wait_for(
            lambda: get(root, "/readyz")[1]["checks"]["backlog"]["oldest_pending_outbox_seconds"] is None
        )
        assert get(root, "/healthz") == (200, {"ok": True})
    assert exits == []


def test_web_role_reports_backlog_ages_and_no_workers(engine: Engine, rules: RoutingRules) -> None:
    later = lambda: utcnow() + timedelta(minutes=5)  # noqa: E731  (read the ages five minutes on)
    with pipeline(engine, rules) as p, served(p, Readiness(p.services.engine, clock=later)) as root:
        assert p.event(message("glassdoor: waiting for a worker", "1700000031.000100"))[0] == 200
        p.event(message("the app crashes on start", "1700000032.000100"))
        status, body = get(root, "/readyz")
        assert status == 200  # backlog is reported, not judged: a Slack outage keeps rows pending
        backlog = body["checks"]["backlog"]
        assert 299 <= backlog["oldest_pending_mention_seconds"] <= 400
        assert backlog["oldest_pending_outbox_seconds"] is None
        assert body["checks"]["workers"]["threads"] == {}
        assert "--role web" in body["checks"]["workers"]["note"]
        p.classify_only()
        backlog = get(root, "/readyz")[1]["checks"]["backlog"]
        assert backlog["oldest_pending_mention_seconds"] is None
        assert 299 <= backlog["oldest_pending_outbox_seconds"] <= 400


@pytest.mark.parametrize(
    "tamper", ["DROP TABLE alembic_version", "UPDATE alembic_version SET version_num = 'zz'"]
)
def test_not_ready_when_the_schema_is_not_at_head(engine: Engine, rules: RoutingRules, tamper: str) -> None:
    with pipeline(engine, rules) as p, served(p, Readiness(p.services.engine)) as root:
        with engine.begin() as conn:
            conn.execute(text(tamper))
        status, body = get(root, "/readyz")
        assert status == 503 and body["failing"] == ["schema"]
        current = "0.1.0 (before migrations)" if tamper.startswith("DROP") else "zz"
        assert (
            body["checks"]["schema"]["error"] == f"schema is at {current}, this code needs {head_revision()}"
        )


def test_not_ready_when_the_database_is_unreachable(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = make_engine(f"postgresql://nobody@127.0.0.1:{port}/social")
    with pipeline(sqlite_engine, rules) as p, served(p, Readiness(gone)) as root:
        status, body = get(root, "/readyz")
        live = get(root, "/healthz")
    assert status == 503 and body["failing"] == ["database", "schema", "backlog"]
    assert live == (200, {"ok": True})  # liveness: a restart would not bring the database back
    assert body["checks"]["database"]["error"].startswith("unreachable: OperationalError")


def test_a_hung_database_costs_the_timeout_and_one_probe(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with socket.socket() as blackhole:  # accepts connections, never answers
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen()
        hung = make_engine(f"postgresql://nobody@127.0.0.1:{blackhole.getsockname()[1]}/social")
        with pipeline(sqlite_engine, rules) as p, served(p, Readiness(hung, timeout=0.3)) as root:
            first = get(root, "/readyz")
            second = get(root, "/readyz")
    assert first[0] == 503 and first[1]["checks"]["database"]["error"] == "no answer within 0.3s"
    assert second[0] == 503
    assert second[1]["checks"]["database"]["error"] == "the previous database check has not answered yet"
    hung.dispose()


def test_not_ready_when_a_worker_died_and_could_not_be_restarted(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    exits: list[int] = []
    runtime = Runtime(policy=RestartPolicy(max_restarts=0), exit_process=exits.append)

    def broken(stop: threading.Event) -> None:
        raise RuntimeError("boom")

    with pipeline(sqlite_engine, rules) as p, served(p, Readiness(p.services.engine, runtime)) as root:
        runtime.spawn("broken", broken)
        wait_for(lambda: exits)
        status, body = get(root, "/readyz")
    assert exits == [EXIT_WORKER_DIED]
    assert status == 503 and body["failing"] == ["workers"]
    assert body["checks"]["workers"]["threads"]["broken"] == {
        "state": "dead",
        "restarts": 0,
        "last_error": "RuntimeError: boom",
    }


def test_a_database_missing_a_column_does_not_leave_a_green_process_that_does_nothing(
    sqlite_engine: Engine, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue's scenario: the schema says head, but mention.classification_id is gone."""
    with sqlite_engine.begin() as conn:
        conn.execute(text("ALTER TABLE mention DROP COLUMN classification_id"))
    exits: list[int] = []
    with (
        pipeline(sqlite_engine, rules) as p,
        runtime_with_workers(p, exits) as runtime,
        served(p, Readiness(p.services.engine, runtime)) as root,
    ):
        wait_for(lambda: exits)  # the classify thread died, was restarted twice, then gave up
        status, body = get(root, "/readyz")
        assert status == 503 and "workers" in body["failing"]
        classify = body["checks"]["workers"]["threads"]["classify"]
        assert classify["state"] == "dead" and classify["restarts"] == 2
        assert "no such column" in classify["last_error"]
    assert exits == [EXIT_WORKER_DIED]
    assert "worker thread classify keeps dying" in caplog.text and "exiting with status 3" in caplog.text
