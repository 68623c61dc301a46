"""Start-up stays light: `python -m bot --help` must not import the database, model or Slack stacks."""

from __future__ import annotations

import subprocess
import sys


def test_the_entry_point_does_not_import_heavy_packages() -> None:
    # SQLAlchemy alone costs ~0.25 s of import; 0.1.0 answered --help in 0.1 s and so must we.
    probe = (
        "import sys, bot.cli.main; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'sqlmodel', 'sklearn', 'openai', 'slack_bolt')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
