"""The digest's offline summary: what changed — the volume, the top topics, the biggest movers.

Used when no LLM writes the summary. Built from counts only (plus, at most, one quoted sentence from
the period's texts), so it reads the same at any volume and states facts a manager can check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.reports.digests.model import DepartmentTotal

MOVERS = 2
MIN_MOVE = 3  # a move of one or two mentions is noise, not news


def department_name(department: str) -> str:
    """How people write a department's name: 'HR', 'Support'."""
    return "HR" if department == "hr" else department.replace("_", " ").title()


def _pct(now: int, before: int) -> str:
    if before == 0:
        return f"new, {now}"
    pct = (now - before) * 100 / before
    return f"{'▲' if pct > 0 else '▼'} {abs(pct):.0f}%, {before} → {now}"


def _movers(now: Mapping[str, int], before: Mapping[str, int], label: Callable[[str], str]) -> list[str]:
    moves = [(k, now.get(k, 0), before.get(k, 0)) for k in set(now) | set(before)]
    moves = [m for m in moves if abs(m[1] - m[2]) >= MIN_MOVE]
    moves.sort(key=lambda m: (-abs(m[1] - m[2]), m[0]))
    return [f"{label(k)} ({_pct(n, b)})" for k, n, b in moves[:MOVERS]]


def change_summary(
    totals: Sequence[DepartmentTotal],
    topics: Sequence[tuple[str, int]],
    topics_before: Mapping[str, int],
    quote: str = "",
) -> str:
    """E.g. '120 mentions (▲ 20%, 100 → 120). Top topics: refund (40), … Biggest movers: Support (…).'"""
    total, previous = sum(t.count for t in totals), sum(t.previous for t in totals)
    if not total and not previous:
        return ""
    change = _pct(total, previous) if previous else "nothing in the period before"
    parts = [f"{total} mention{'' if total == 1 else 's'} ({change})."]
    if topics:
        parts.append("Top topics: " + ", ".join(f"{t} ({n})" for t, n in topics[:3]) + ".")
    departments = _movers(
        {t.department: t.count for t in totals}, {t.department: t.previous for t in totals}, department_name
    )
    topic_moves = _movers(dict(topics), {t: n for t, n in topics_before.items() if t}, lambda t: f"topic {t}")
    movers = departments + topic_moves
    parts.append(("Biggest movers: " + "; ".join(movers) + ".") if movers else "No big movers.")
    if quote:
        parts.append(f"Most echoed: “{quote}”")
    return " ".join(parts)
