"""`python -m bot train`: the same lease and publication as the workers' automatic retraining."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.classify.local import LocalClassifier
from bot.classify.retrain import LEASE
from bot.domain.clock import utcnow
from bot.store.engine import init_db, make_engine
from bot.store.leases import claim_lease, release_lease
from bot.store.local_models import latest_model
from tests.app.retraining import correct
from tests.conftest import RULES_YAML

REPO = Path(__file__).resolve().parents[2]


def test_train_publishes_the_model_and_waits_its_turn(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    model_path = tmp_path / "model.joblib"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))},
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "ROUTING_RULES": str(tmp_path / "rules.yaml"),
        "LOCAL_MODEL_PATH": str(model_path),
        "LOG_LEVEL": "WARNING",
    }
    engine = make_engine(env["DATABASE_URL"])
    init_db(engine)
    correct(engine, "Can I get the Zentrox dock with the Quorvex bundle?", "sales")

    def train() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot", "train"]
        return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    assert claim_lease(engine, LEASE, "a worker", now=utcnow(), ttl=timedelta(minutes=5))
    busy = train()
    assert busy.returncode == 1 and "retraining the local model right now" in busy.stderr
    release_lease(engine, LEASE, "a worker")
    done = train()
    assert done.returncode == 0, done.stderr
    model = LocalClassifier.load(model_path)
    assert f"trained {model.version} on the seeds plus 1 corrections" in done.stdout
    stored = latest_model(engine, model.meta["seed_hash"])
    assert stored is not None and (stored.version, stored.trigger) == (model.version, "command")
