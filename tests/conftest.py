"""Shared test fixtures: real databases (a SQLite file, a fresh PostgreSQL database) and routing rules.

PostgreSQL tests use TEST_DATABASE_URL_PG (an admin URL; `.ci/run` starts a throwaway cluster). Each
test gets its own freshly created database, dropped afterwards. Without a reachable server they skip
locally, but fail when CI_REQUIRE_POSTGRES=1 so CI can never go green by silently skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from sqlalchemy.engine import Engine, make_url

from bot.domain.rules import RoutingRules, load_rules
from bot.store.engine import init_db, make_engine

# Channel IDs match tests/fakes/slack_server.py (FakeSlack): C0SOCIAL is watched, C0HR is restricted.
RULES_YAML = """\
watch:
  channels: [C0SOCIAL]
departments:
  product:
    channel: C0PRODUCT
    description: Bug reports, crashes, feature requests and UX feedback about the app.
    managers: [U0PRODMGR]
  support:
    channel: C0SUPPORT
    description: Customers who need help with an order, account, login, billing, refund or delivery.
    escalate:
      ping: [S0ONCALL]
      urgency: high
      sentiment: negative
  hr:
    channel: C0HR
    description: Employees, former employees and candidates talking about working here.
  sales:
    channel: C0SALES
    description: Prospects asking about pricing, quotes, demos, plans or partnerships.
triage_channel: C0TRIAGE
min_confidence: 0.6
rules:
  - name: careers sites
    department: hr
    keywords: [glassdoor, kununu]
  - name: quote requests
    department: sales
    regex: "(?i)\\\\b(request|need|send)( me)? a quote\\\\b"
digests:
  - name: weekly
    departments: [product, support, hr, sales]
    recipients: [C0TRIAGE]
    cron: "0 9 * * mon"
    timezone: Europe/Oslo
    period: 7d
alerts:
  window: 1h
  factor: 3.0
  min_count: 5
  cooldown: 6h
"""


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    """RULES_YAML written to tmp_path/routing_rules.yaml."""
    path = tmp_path / "routing_rules.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    return path


@pytest.fixture
def rules(rules_file: Path) -> RoutingRules:
    """The validated RULES_YAML (loaded through the real loader, so it is a valid file too)."""
    return load_rules(rules_file)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A real SQLite file in tmp_path with every table created."""
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    init_db(engine)
    yield engine
    engine.dispose()


def _postgres_unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required in CI (CI_REQUIRE_POSTGRES=1): {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """TEST_DATABASE_URL_PG after checking the server answers; its user must be allowed CREATE DATABASE."""
    url = os.environ.get("TEST_DATABASE_URL_PG", "").strip()
    if not url:
        _postgres_unavailable("TEST_DATABASE_URL_PG is not set (bash .ci/run starts a throwaway server)")
    try:
        psycopg.connect(url, connect_timeout=5, autocommit=True).close()
    except psycopg.Error as exc:
        where = make_url(url).render_as_string(hide_password=True)
        _postgres_unavailable(f"cannot connect to {where}: {str(exc).strip()}")
    return url


@pytest.fixture
def empty_pg_url(pg_admin_url: str) -> Iterator[str]:
    """The URL of a freshly created, empty PostgreSQL database, dropped after the test."""
    name = f"sr_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            # FORCE: a test that leaked a connection must not leave the database behind.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_engine(empty_pg_url: str) -> Iterator[Engine]:
    """A freshly created PostgreSQL database with every table, dropped after the test."""
    engine = make_engine(empty_pg_url)
    try:
        init_db(engine)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test against SQLite and PostgreSQL (the latter skips locally without a server)."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    result: Engine = request.getfixturevalue(fixture)
    return result
