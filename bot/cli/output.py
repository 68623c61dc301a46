"""What commands print: `--json` puts one JSON object on the last line of stdout (logs go to stderr)."""

from __future__ import annotations

import json


def print_json_last(data: object) -> None:
    """`--json` output: one JSON object as the last line of stdout."""
    print(json.dumps(data, ensure_ascii=False, default=str))
