"""Every benchmark script still starts: a move or a renamed helper must not break them silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# the runnable ones; the others (bulk loading, LLM scenarios) are helpers they import
SCRIPTS = sorted(p for p in (REPO / "benchmarks").glob("*.py") if "__main__" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_imports_and_prints_its_usage(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{script.stem}", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage" in done.stdout.lower()
