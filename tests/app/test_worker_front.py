"""`serve --role worker` as a real process: /healthz, /readyz and /metrics on --port, and no input paths."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.domain.mention import IncomingMention
from bot.store.engine import make_engine
from bot.store.mentions import store_mention
from tests.fakes.slack_server import FakeSlack
from tests.processes import bot_env, free_port


def _get(url: str, *, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"{}" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:  # not listening yet
        return 0, b""


@contextmanager
def worker_process(tmp_path: Path, rules_file: Path, fake: FakeSlack) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "bot", "serve", "--role", "worker", "--host", "127.0.0.1"]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=bot_env(tmp_path, rules_file, fake), stderr=stderr
        )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _get(root + "/readyz")[0] != 200:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield root
    finally:
        process.terminate()  # SIGTERM: the server unwinds, the runtime stops its threads
        assert process.wait(timeout=30) == 0, log.read_text()


def _samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def test_the_worker_role_serves_probes_and_metrics_only(tmp_path: Path, rules_file: Path) -> None:
    with FakeSlack() as fake, worker_process(tmp_path, rules_file, fake) as root:
        status, body = _get(root + "/readyz")
        report = json.loads(body)
        assert status == 200 and report["ready"] is True
        threads = report["checks"]["workers"]["threads"]
        assert set(threads) == {"classify", "deliver", "scheduler", "sources", "retrain"}
        assert all(t["state"] == "running" for t in threads.values())
        assert _get(root + "/healthz") == (200, b'{"ok": true}')
        for path in ("/slack/events", "/ingest"):  # the web role's job, not this process's
            assert _get(root + path, method="POST")[0] == 404

        engine = make_engine(f"sqlite:///{tmp_path}/w.db")  # what the web role would have stored
        store_mention(engine, IncomingMention("ingest:w-1", "ingest", "glassdoor: long hours", "forum"))
        engine.dispose()
        posted = ("social_router_messages_posted_total", (("department", "hr"), ("kind", "card")))
        deadline = time.monotonic() + 30
        while posted not in (samples := _samples(_get(root + "/metrics")[1])):
            assert time.monotonic() < deadline, "the worker did not post the card"
            time.sleep(0.1)
        assert samples[posted] == 1 and len(fake.posted("C0HR")) == 1
        key = (("classifier", "rules"), ("department", "hr"))
        assert samples[("social_router_mentions_classified_total", key)] == 1
        assert samples[("social_router_backlog_up", ())] == 1
        assert samples[("social_router_mentions_pending", ())] == 0
