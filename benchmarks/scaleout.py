"""Benchmark: scale out on PostgreSQL — one web process and 1, 2, 4 worker processes, measured.

Usage: python benchmarks/scaleout.py [--database-url URL] [--n N] [--workers 1,2,4] [--llm-delay S]
The admin URL comes from --database-url, else SCALEOUT_DATABASE_URL, else TEST_DATABASE_URL_PG; each
run gets a fresh database (created and dropped here). This process serves the fake Slack and the fake
OpenAI (threads on 127.0.0.1), starts `python -m bot serve --role web` and N × `--role worker` as real
subprocesses, sends N signed Slack events from a separate process, and prints mentions/s (first event
sent → every mention routed and every card posted) with the number of lost and duplicated cards.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` (the fakes) is not installed

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from benchmarks.pipeline import _load, percentile, synthetic_texts
from bot.store.engine import make_engine
from tests.conftest import RULES_YAML
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import FakeSlack
from tests.handlers import SECRET
from tests.harness import trained_model_path

ROOT = Path(__file__).resolve().parents[1]
MENTION_ID = re.compile(r"Mention #(\d+) ·")


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    name = f"sr_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(db_url: str, slack: FakeSlack, llm: FakeOpenAI, rules: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": llm.base_url,
        "ROUTING_RULES": str(rules),
        "LOCAL_MODEL_PATH": str(trained_model_path()),
        "CASCADE_LOCAL_CONFIDENCE": "1",  # every mention goes to the (fake) LLM: the slow path
        "SLACK_MIN_INTERVAL": "0.001",  # the fake Slack has no per-channel pace to respect
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }


def start(role: str, env: dict[str, str], log: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--role",
        role,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def healthy(root: str) -> bool:
    try:
        with urllib.request.urlopen(root + "/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def progress(engine: Engine) -> tuple[int, int, int]:
    """(mentions, still pending, outbox rows not yet sent)."""
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM mention")).scalar_one()
        pending = conn.execute(text("SELECT count(*) FROM mention WHERE status = 'pending'")).scalar_one()
        unsent = conn.execute(text("SELECT count(*) FROM delivery WHERE status = 'pending'")).scalar_one()
    return int(total), int(pending), int(unsent)


def run(admin_url: str, workers: int, n: int, llm_delay: float, folder: Path) -> dict[str, Any]:
    rules = folder / "rules.yaml"
    procs: list[subprocess.Popen[bytes]] = []
    with fresh_database(admin_url) as db_url, FakeSlack() as slack, FakeOpenAI(delay=llm_delay) as llm:
        env, port = bot_env(db_url, slack, llm, rules), free_port()
        root = f"http://127.0.0.1:{port}"
        try:
            procs.append(start("web", env, folder / f"web-{workers}.log", port))
            wait_until(lambda: healthy(root), 120, "the web process")  # it also migrated the database
            logs = [folder / f"worker-{workers}-{i}.log" for i in range(workers)]
            procs += [start("worker", env, log, free_port()) for log in logs]
            wait_until(lambda: all("listening on" in log.read_text() for log in logs), 180, "the workers")
            engine = make_engine(db_url)
            started = time.monotonic()
            latencies = _send(root, synthetic_texts(n), prefix=str(1_700_000_000 + workers))
            wait_until(lambda: progress(engine) == (n, 0, 0), 900, "every mention routed and posted")
            elapsed = time.monotonic() - started
            with engine.connect() as conn:
                expected = conn.execute(
                    text("SELECT count(*) FROM delivery WHERE kind = 'card'")
                ).scalar_one()
            engine.dispose()
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
        posted = Counter(
            int(m.group(1))
            for body in slack.posted(None)
            if (m := MENTION_ID.search(str(body.get("blocks"))))
        )
    return {
        "workers": workers,
        "mentions": n,
        "seconds": round(elapsed, 2),
        "mentions_per_s": round(n / elapsed, 1),
        "cards": sum(posted.values()),
        "lost_cards": int(expected) - len(posted),
        "duplicate_cards": sum(c - 1 for c in posted.values()),
        "llm_requests": len(llm.requests),
        "ack_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def _send(root: str, texts: list[str], prefix: str) -> list[float]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as process:
        return process.submit(_load, root, texts, 16, prefix).result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("SCALEOUT_DATABASE_URL"))
    parser.add_argument("--n", type=int, default=2000, help="signed events per run")
    parser.add_argument("--workers", default="1,2,4", help="worker-process counts to run")
    parser.add_argument("--llm-delay", type=float, default=1.0, help="seconds the fake LLM takes a call")
    args = parser.parse_args()
    admin_url = args.database_url or os.environ.get("TEST_DATABASE_URL_PG", "")
    if not admin_url:
        parser.error("give --database-url, SCALEOUT_DATABASE_URL or TEST_DATABASE_URL_PG (a PostgreSQL URL)")
    folder = Path(tempfile.mkdtemp(prefix="sr-scaleout-"))
    (folder / "rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    trained_model_path()  # train (or load the cached model) before any clock starts
    for count in (int(w) for w in args.workers.split(",")):
        print(f"… {count} worker process(es)", file=sys.stderr, flush=True)
        row = run(admin_url, count, args.n, args.llm_delay, folder)
        print(" | ".join(f"{k}: {v}" for k, v in row.items()), flush=True)
    print(f"logs: {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
