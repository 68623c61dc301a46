"""`python -m bot sources`, `sources backfill` and `check` against the fake listener APIs, in subprocesses."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import env, mentions, run  # noqa: F401  (env is a fixture)
from tests.conftest import RULES_YAML
from tests.fakes.source_records import BASE_EPOCH, hn_hit
from tests.fakes.sources_server import FakeSources


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources() as server:
        yield server


def write_rules(tmp_path: Path, fake: FakeSources) -> None:
    sources = (
        "sources:\n"
        f'  - {{name: hn, type: hackernews, query: lumo, every: 10m, base_url: "{fake.url("hn")}"}}\n'
        f'  - {{name: down, type: reddit, query: lumo, every: 5m, base_url: "{fake.url("reddit")}"}}\n'
    )
    (tmp_path / "rules.yaml").write_text(RULES_YAML + sources, encoding="utf-8")


def test_check_makes_one_request_per_source_and_reports_it(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
    fake: FakeSources,
) -> None:
    write_rules(tmp_path, fake)
    fake.hn = [hn_hit(1, title="lumo rocks"), hn_hit(2, title="lumo is slow", at=5)]
    for _ in range(2):
        fake.queue("reddit", status=500, body="<html>oops</html>")
    done = run(env, "check", cwd=tmp_path)
    assert "2 sources" in done.stdout
    assert "source hn (hackernews): OK, 2 found, 2 match" in done.stdout
    assert "source down (reddit): FAILED: HTTP 500" in done.stdout
    assert done.returncode == 1
    assert (len(fake.calls("hn")), len(fake.calls("reddit"))) == (1, 2)  # one probe; one retry on a 5xx


def test_sources_lists_health_and_backfill_reaches_back(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
    fake: FakeSources,
) -> None:
    write_rules(tmp_path, fake)
    recent = int(time.time()) - BASE_EPOCH - 3600  # an hour ago, in the records' offsets
    fake.hn = [hn_hit(i, title=f"lumo {i}", at=recent - i * 3600) for i in range(1, 6)]  # 2-6 hours ago
    fake.hn.append(hn_hit(99, title="lumo old", at=recent - 30 * 86400))
    done = run(env, "sources", "backfill", "hn", "--since", "1d", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "hn: fetched 5, stored 5 new mention(s)" in done.stdout
    assert "hn:" in done.stderr and "5/" not in done.stdout  # the progress bar is on stderr
    assert mentions(tmp_path) == [f"lumo {i}" for i in range(5, 0, -1)]  # oldest first
    for _ in range(4):
        fake.queue("reddit", status=503, body="<html>down</html>")
    failed = run(env, "sources", "backfill", "down", "--since", "1d", cwd=tmp_path)
    assert failed.returncode == 1 and "down: failed: HTTP 503" in failed.stdout
    listing = run(env, "sources", cwd=tmp_path)
    assert listing.returncode == 1  # a source is failing
    lines = {line.split()[0]: line for line in listing.stdout.splitlines()[1:]}
    assert "never" not in lines["hn"] and " 5  " in lines["hn"]
    assert "never" in lines["down"] and "HTTP 503" in lines["down"]
    assert "(failing since 20" in lines["down"] and "failed polls)" in lines["down"]
    as_json = json.loads(run(env, "sources", "--json", cwd=tmp_path).stdout.strip().splitlines()[-1])
    assert [(s["name"], s["items_today"], s["failing"]) for s in as_json["sources"]] == [
        ("hn", 5, False),
        ("down", 0, True),
    ]
    hn, down = as_json["sources"]
    assert down["failing_since"].endswith(" UTC") and not hn["failing_since"]


def test_backfill_of_an_unknown_source_names_the_known_ones(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
    fake: FakeSources,
) -> None:
    write_rules(tmp_path, fake)
    done = run(env, "sources", "backfill", "nope", cwd=tmp_path)
    assert done.returncode == 2 and "no source named 'nope'" in done.stderr and "hn, down" in done.stderr
