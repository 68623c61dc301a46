"""Parsing JSON from strangers: bounded nesting, bounded integers, finite numbers only.

`json.loads` recurses once per nesting level, so a body of 50,000 `[` raises RecursionError (not a
ValueError) deep inside the parser; it also turns a 5,000-digit number into a ValueError about
Python's integer limit and accepts the non-JSON literals NaN and Infinity, which later blow up in
datetime code. `loads_bounded` rejects all of these with a ValueError before they reach the app.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64  # Slack's deepest payloads (view state inside blocks) nest about a dozen levels
MAX_INT_DIGITS = 30
# A string literal, also an unterminated one (it runs to the end): one linear pass strips them all,
# so brackets inside strings do not count and no input can make the scan quadratic.
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class UnsafeJSON(ValueError):
    """Valid-looking JSON the app refuses to parse (too deep, huge or non-finite numbers)."""


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest [ / { nesting in JSON text, counting stops once it passes `limit`."""
    skeleton = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = deepest = 0
    for char in skeleton:
        depth += 1 if char in "[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def loads_bounded(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads for untrusted text; raises ValueError (JSONDecodeError or UnsafeJSON) on bad input."""
    if nesting_depth(text, max_depth) > max_depth:
        raise UnsafeJSON(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant)


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise UnsafeJSON(f"a number with more than {MAX_INT_DIGITS} digits")
    return int(literal)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e400 parses as inf
        raise UnsafeJSON(f"a number out of range: {literal[:40]}")
    return value


def _no_constant(literal: str) -> Any:
    raise UnsafeJSON(f"{literal} is not valid JSON")
