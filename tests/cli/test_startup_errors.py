"""Wrong turns at start-up: `python -m bot` says one line naming the variable, exits 2, no traceback.

Each case runs the real CLI in a subprocess against the fake Slack over real HTTP (or against a port
nobody listens on, a host that does not resolve, a port already taken).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RULES_YAML
from tests.fakes.slack_server import FakeSlack
from tests.harness import trained_model_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def env(tmp_path: Path, slack: FakeSlack) -> dict[str, str]:
    """Everything `serve` needs, pointing at the fake Slack; LOG_LEVEL left at its INFO default."""
    (tmp_path / "rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    ours = ("SLACK_", "OPENAI_", "LOG_", "DATABASE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return {
        **clean,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "ROUTING_RULES": str(tmp_path / "rules.yaml"),
        "LOCAL_MODEL_PATH": str(trained_model_path()),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": slack.base_url,
    }


def run(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The process failed with exit code 2 and exactly one line on stderr, which is returned."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Configuration error: ")
    return lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_wrong_bot_token_names_the_variable(env: dict[str, str], slack: FakeSlack, tmp_path: Path) -> None:
    slack.queue("auth.test", body={"ok": False, "error": "invalid_auth"})
    line = one_line(run(env, "serve", "--port", "0", cwd=tmp_path))
    assert "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in line
    assert "xoxb-test" not in line  # never the secret itself
    assert slack.calls("auth.test"), "the token was checked against Slack"


def test_check_says_the_same_for_a_wrong_bot_token(
    env: dict[str, str], slack: FakeSlack, tmp_path: Path
) -> None:
    slack.queue("auth.test", body={"ok": False, "error": "invalid_auth"})
    done = run(env, "check", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        line for line in done.stderr.strip().splitlines() if "SLACK_BOT_TOKEN was refused" in line
    ]


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://127.0.0.1:{port}/api/", "connection refused"), ("http://no-such-host.invalid/api/", "")],
)
def test_slack_unreachable_names_the_url(env: dict[str, str], tmp_path: Path, url: str, reason: str) -> None:
    env = {**env, "SLACK_API_URL": url.format(port=free_port())}
    line = one_line(run(env, "serve", "--port", "0", cwd=tmp_path))
    assert "Slack is unreachable at http://" in line and "SLACK_API_URL" in line
    assert reason in line


def test_a_port_in_use_names_the_port(env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(run(env, "serve", "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path))
    assert f"--port {port}: 127.0.0.1:{port} is already in use" in line


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:pw@localhost:5x32/db", "DATABASE_URL is not a database URL"),
        ("postgres://u:pw@localhost:99999/db", "DATABASE_URL: port 99999 is out of range"),
        ("mysql://u:pw@localhost/db", "DATABASE_URL: unsupported database 'mysql'"),
    ],
)
def test_a_bad_database_url_names_the_variable(
    env: dict[str, str], tmp_path: Path, url: str, expected: str
) -> None:
    line = one_line(run({**env, "DATABASE_URL": url}, "check", cwd=tmp_path))
    assert expected in line
    assert "pw" not in line  # the password is masked


def test_heroku_style_postgres_url_is_accepted_and_uses_psycopg(env: dict[str, str], tmp_path: Path) -> None:
    """`postgres://` (Heroku, Render, psql) is rewritten, not refused: here it reaches psycopg, which
    finds nobody listening — still one line about DATABASE_URL, with the password masked."""
    url = f"postgres://router:hunter2@127.0.0.1:{free_port()}/social"
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "hello"}\n', encoding="utf-8")
    line = one_line(run({**env, "DATABASE_URL": url}, "replay", "in.jsonl", cwd=tmp_path))
    assert "DATABASE_URL: cannot connect to postgresql+psycopg://router:***@127.0.0.1:" in line
    assert "hunter2" not in line


def test_heroku_style_url_works_against_a_real_postgres(env: dict[str, str], tmp_path: Path) -> None:
    admin = os.environ.get("TEST_DATABASE_URL_PG", "")
    if not admin.startswith("postgresql://"):
        pytest.skip("TEST_DATABASE_URL_PG is not set")
    (tmp_path / "in.jsonl").write_text('{"id": "pg-a", "text": "hello from heroku"}\n', encoding="utf-8")
    url = "postgres://" + admin.removeprefix("postgresql://")
    done = run({**env, "DATABASE_URL": url}, "replay", "in.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "stored: 1" in done.stdout or "duplicate: 1" in done.stdout


def test_a_bot_token_in_slack_app_token_is_refused_before_connecting(
    env: dict[str, str], slack: FakeSlack, tmp_path: Path
) -> None:
    line = one_line(run({**env, "SLACK_APP_TOKEN": "xoxb-pasted-here"}, "socket", cwd=tmp_path))
    assert "SLACK_APP_TOKEN must be an app-level token starting with xapp-" in line
    assert "pasted" not in line
    assert not slack.calls("auth.test")


def test_an_app_token_slack_refuses_names_the_variable(
    env: dict[str, str], slack: FakeSlack, tmp_path: Path
) -> None:
    line = one_line(run({**env, "SLACK_APP_TOKEN": "xapp-1-bogus"}, "socket", cwd=tmp_path))
    assert "SLACK_APP_TOKEN was refused by Slack (invalid_auth)" in line
    assert slack.calls("apps.connections.open")


def test_serve_starts_without_bolts_token_warning(env: dict[str, str], tmp_path: Path) -> None:
    """SLACK_BOT_TOKEN in the environment used to make Bolt warn "`token` will be unused"."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0", "--role", "web"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    seen: list[str] = []
    try:
        for line in server.stderr:
            seen.append(line)
            if "listening on http://" in line:
                break
    finally:
        server.send_signal(signal.SIGINT)
        rest = server.communicate(timeout=30)[1]
    log = "".join(seen) + rest
    assert any("listening on http://" in line for line in seen), log
    assert "will be unused" not in log and "Traceback" not in log
