"""GET /readyz over real HTTP reports failing listeners as degraded — never as not ready."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.app.health import Readiness
from bot.domain.clock import utcnow
from bot.domain.rules import RoutingRules
from bot.domain.sources import SourceConfig
from bot.intake.sources import SourceHttp
from bot.intake.sources.runner import SourcePoller
from tests.app.test_health import get, served
from tests.fakes.source_records import hn_hit, reddit_post
from tests.fakes.sources_server import FakeSources
from tests.harness import pipeline

ATTEMPTS = 4  # SourceHttp's tries per request: one failed poll of a source consumes this many answers


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def _configs(fake: FakeSources) -> list[SourceConfig]:
    entries = [
        {"name": "reddit-brand", "type": "reddit", "query": "lumo", "base_url": fake.url("reddit")},
        {"name": "hn", "type": "hackernews", "query": "lumo", "base_url": fake.url("hn")},
    ]
    return [SourceConfig.model_validate({"every": "5m", **entry}) for entry in entries]


def test_a_failing_source_is_degraded_in_readyz_and_clears_when_it_recovers(
    engine: Engine, rules: RoutingRules
) -> None:
    start = utcnow().replace(microsecond=0)
    clock = [start]
    configured = ["reddit-brand", "hn"]
    with FakeSources() as fake:
        fake.reddit = [reddit_post("r1", "lumo is great", at=1)]
        fake.hn = [hn_hit(1, title="lumo on hn", at=2)]
        for _ in range(2 * ATTEMPTS):  # two polls in a row fail, the third gets the listing
            fake.queue("reddit", status=503, body="<html>down</html>")
        http = SourceHttp(timeout=5.0, sleep=lambda _seconds: None, pacing=False)
        listener = SourcePoller(engine, http, lambda: _configs(fake), clock=lambda: clock[0])
        readiness = Readiness(engine, sources=lambda: list(configured))
        with pipeline(engine, rules) as p, served(p, readiness) as root:
            try:
                assert get(root, "/readyz")[1]["checks"]["sources"] == {
                    "ok": True,
                    "degraded": False,
                    "failing": [],
                }
                listener.run_once()
                clock[0] = start + timedelta(hours=2)  # past the backoff: it fails a second time
                listener.run_once()
                status, body = get(root, "/readyz")
                assert status == 200 and body["ready"] is True  # one dead feed never restarts the pod
                assert body["failing"] == [] and body["degraded"] == ["sources"]
                (broken,) = body["checks"]["sources"]["failing"]
                assert broken["name"] == "reddit-brand" and broken["consecutive_failures"] == 2
                assert broken["since"] == _iso(start)  # the first failure of the run, kept by the second
                assert broken["last_error_at"] == _iso(start + timedelta(hours=2))
                assert "HTTP 503" in broken["last_error"] and broken["last_success_at"] is None

                configured.remove("reddit-brand")  # dropped from the rules: its old row is not news
                assert get(root, "/readyz")[1]["degraded"] == []
                configured.append("reddit-brand")

                clock[0] = start + timedelta(hours=6)  # past the doubled backoff: the listing answers
                assert {o.name: o.ok for o in listener.run_once()}["reddit-brand"] is True
                status, body = get(root, "/readyz")
                assert status == 200 and body["degraded"] == []
                assert body["checks"]["sources"]["failing"] == []
            finally:
                listener.close()
