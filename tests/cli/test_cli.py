"""`python -m bot` as a user runs it: classify, check, replay, eval and demo in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.classify.training import VERSION
from tests.conftest import RULES_YAML
from tests.harness import trained_model_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: tmp database and rules, the shared trained model, no Slack or OpenAI."""
    (tmp_path / "rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "INGEST_"))}
    return {
        **clean,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "ROUTING_RULES": str(tmp_path / "rules.yaml"),
        "LOCAL_MODEL_PATH": str(trained_model_path()),
        "LOG_LEVEL": "WARNING",
    }


def run(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def mentions(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "cli.db") as db:
        return [row[0] for row in db.execute("SELECT text FROM mention ORDER BY id")]


def test_classify_json_prints_one_object_last(env: dict[str, str], tmp_path: Path) -> None:
    done = run(env, "classify", "Is there a glassdoor page for your team?", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert (answer["department"], answer["classifier"], answer["channel"]) == ("hr", "rules", "C0HR")


def test_check_names_the_key_and_line_of_a_broken_rules_file(env: dict[str, str], tmp_path: Path) -> None:
    broken = RULES_YAML.replace("min_confidence: 0.6", "min_confidence: lots")
    (tmp_path / "rules.yaml").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("min_confidence: lots") + 1
    done = run(env, "check", cwd=tmp_path)
    assert done.returncode == 2
    assert f"rules.yaml:{line}: min_confidence" in done.stderr


def test_replay_stores_good_lines_and_reports_the_bad_one(env: dict[str, str], tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "glassdoor says we are hiring", "source": "reddit"}),
        "{this is not json",
        json.dumps({"id": "b", "text": "Please send me a quote for 10 seats"}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    dry = run(env, "replay", "in.jsonl", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 1, dry.stderr  # invalid lines fail the run, so scripts notice
    assert "in.jsonl: 1 invalid line skipped" in dry.stderr
    assert "line 1: hr 1.00 (rules) → C0HR" in dry.stdout and "line 2: invalid" in dry.stdout
    assert not (tmp_path / "cli.db").exists() or mentions(tmp_path) == []
    done = run(env, "replay", "in.jsonl", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "in.jsonl:2: skipped: not JSON" in done.stderr
    assert "Traceback" not in done.stderr and "in.jsonl: 1 invalid line skipped" in done.stderr
    assert "stored: 2" in done.stdout and "invalid: 1" in done.stdout
    assert mentions(tmp_path) == ["glassdoor says we are hiring", "Please send me a quote for 10 seats"]


def test_eval_json_reports_macro_f1_accuracy_and_n(env: dict[str, str], tmp_path: Path) -> None:
    labeled = [
        {"text": "glassdoor reviews of the interview", "department": "hr"},
        {"text": "kununu rating for the Munich office", "department": "hr"},
        {"text": "can you send me a quote for 50 seats", "department": "sales"},
        {"text": "I need a quote for the enterprise plan", "department": "sales"},
    ]
    (tmp_path / "labeled.jsonl").write_text(
        "\n".join(json.dumps(r) for r in labeled) + "\n", encoding="utf-8"
    )
    done = run(env, "eval", "labeled.jsonl", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["n"], report["accuracy"]) == (4, 1.0)
    assert 0.0 < report["macro_f1"] <= 1.0  # averaged over every label, including absent ones


def test_demo_runs_the_whole_pipeline_and_prints_a_summary(env: dict[str, str], tmp_path: Path) -> None:
    shutil.copy(REPO / "routing_rules.yaml", tmp_path / "routing_rules.yaml")
    env = {**env, "ROUTING_RULES": "routing_rules.yaml"}
    done = run(env, "demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Summary:" in done.stdout and "mentions stored and classified" in done.stdout
    assert "#team-support" in done.stdout and "[Acknowledge]" in done.stdout
    assert "Polled sources: demo-feed (type feed, file://" in done.stdout and ": 7 new items" in done.stdout
    assert "Source feed" in done.stdout  # the feed's items went through classify → card
    assert (tmp_path / ".cache" / "demo.db").exists()


def test_migrate_upgrades_a_previous_release_and_reports_status(env: dict[str, str], tmp_path: Path) -> None:
    shutil.copy(REPO / "tests" / "fixtures" / "release-0.1.0.sqlite", tmp_path / "cli.db")
    status = run(env, "migrate", "--status", cwd=tmp_path)
    assert status.returncode == 1 and "run migrate" in status.stdout
    done = run(env, "migrate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "upgraded from 0.1.0" in done.stdout
    again = run(env, "migrate", cwd=tmp_path)
    assert "already up to date" in again.stdout


def test_with_auto_migrate_off_an_old_schema_refuses_with_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    shutil.copy(REPO / "tests" / "fixtures" / "release-0.1.0.sqlite", tmp_path / "cli.db")
    (tmp_path / "one.jsonl").write_text('{"id": "1", "text": "app crashes"}\n', encoding="utf-8")
    done = run({**env, "AUTO_MIGRATE": "false"}, "replay", str(tmp_path / "one.jsonl"), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        "DATABASE_URL: the schema is at 0.1.0" in done.stderr and "run `python -m bot migrate`" in done.stderr
    )


def test_check_names_every_channel_the_bot_is_not_in(env: dict[str, str], tmp_path: Path) -> None:
    from tests.fakes.slack_server import FakeSlack

    with FakeSlack() as slack:
        slack.outside.update({"C0SOCIAL", "C0HR"})  # a public watched channel, a private department one
        slack.private.add("C0HR")
        slack.archived.add("C0SALES")
        done = run(
            {**env, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url}, "check", cwd=tmp_path
        )
    assert done.returncode == 1, done.stderr
    lines = RULES_YAML.splitlines()
    watch, hr, sales = (
        lines.index(text) + 1
        for text in ("  channels: [C0SOCIAL]", "    channel: C0HR", "    channel: C0SALES")
    )
    assert (
        f"rules.yaml:{watch}: watch.channels[0]: C0SOCIAL (#social-mentions): the bot is not a member"
        in done.stderr
    )
    assert (
        f"rules.yaml:{hr}: departments.hr.channel: C0HR: not found, or private and the bot is not invited"
        in done.stderr
    )
    assert f"rules.yaml:{sales}: departments.sales.channel: C0SALES (#team-sales): is archived" in done.stderr
    assert "channels: 3 problem(s)" in done.stdout
    assert slack.calls("conversations.join") == []  # check reports; it never changes the workspace


def test_eval_oracle_prints_the_curve_and_reads_sentiment(env: dict[str, str], tmp_path: Path) -> None:
    labeled = [
        {"text": "I need a quote for the enterprise plan, 40 seats", "department": "sales"},
        {
            "text": "The app crashes whenever I open the camera",
            "department": "product",
            "sentiment": "negative",
        },
        {"text": "Thank you so much, the agent was lovely and fixed it", "sentiment": "positive"},
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(json.dumps(r) for r in labeled) + "\n", encoding="utf-8")
    done = run(env, "eval", "mixed.jsonl", "--classifier", "local", "--oracle", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["n"] == 2 and report["sentiment"]["n"] == 2
    points = report["oracle"]["points"]
    assert points[-1]["calls_per_mention"] == 1.0 and points[-1]["actionable_right"] == 1.0
    text = run(env, "eval", "mixed.jsonl", "--classifier", "local", "--oracle", cwd=tmp_path).stdout
    assert "LLM calls/mention" in text and "sentiment: n=2" in text


def test_replay_of_good_lines_only_exits_zero(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "ok.jsonl").write_text(json.dumps({"id": "z", "text": "glassdoor"}) + "\n", encoding="utf-8")
    done = run(env, "replay", "ok.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "invalid" not in done.stdout + done.stderr


def test_train_shows_a_new_version_when_it_learned_something_new(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "LOCAL_MODEL_PATH": str(tmp_path / "model.joblib")}
    first = run(env, "train", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "no earlier model was saved there" in first.stdout
    (tmp_path / "one.jsonl").write_text('{"id": "1", "text": "do you ship to Norway?"}\n', encoding="utf-8")
    assert run(env, "replay", str(tmp_path / "one.jsonl"), cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:  # a person moved it to sales
        db.execute(
            "INSERT INTO correction (mention_id, from_department, to_department, user_id, created_at) "
            "VALUES (1, 'support', 'sales', 'U1', '2026-11-29 10:00:00')"
        )
    second = run(env, "train", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    v1, v2 = first.stdout.split()[1], second.stdout.split()[1]
    assert v1 == VERSION and v2.startswith(f"{VERSION}+1c.")  # named after what it learned
    assert f"replaces {v1}" in second.stdout
