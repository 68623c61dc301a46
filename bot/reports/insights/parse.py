"""Parse the text after `/insights` into a command, with friendly errors for anything else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.errors import SocialRouterError

PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PERIOD_ALIASES = {"1d": "24h", "day": "24h", "week": "7d", "1w": "7d", "month": "30d"}
SUBCOMMANDS = ("help", "stats", "top", "search", "ask", "route", "digest")
MAX_QUERY_CHARS = 500


class UsageError(SocialRouterError):
    """The user typed something /insights does not understand; the message says how to fix it."""


@dataclass(frozen=True)
class Command:
    """One parsed /insights request."""

    name: str  # help | stats | top | search | ask | route | digest
    period: str = "7d"  # one of PERIODS
    department: str | None = None
    query: str = ""  # search words, question, or text to route

    @property
    def window(self) -> timedelta:
        return PERIODS[self.period]


def parse_command(text: str, departments: tuple[str, ...]) -> Command:
    """`text` is what the user typed after /insights; `departments` are the configured names."""
    words = text.strip().split()
    if not words:
        return Command("help")
    name, args = words[0].lower(), words[1:]
    if name not in SUBCOMMANDS:
        raise UsageError(f"I don't know `{_inert(words[0])}`. Try `/insights help`.")
    rest = text.strip()[len(words[0]) :].strip()
    if name == "help":
        return Command("help")
    if name == "stats":
        return _stats(args, departments)
    if name == "top":
        return _top(args, departments)
    if name == "digest":
        return _digest(args, departments)
    if not rest:
        what = {"search": "some words", "ask": "a question", "route": "a text"}[name]
        raise UsageError(f"`/insights {name}` needs {what}, e.g. `/insights {name} {_EXAMPLES[name]}`.")
    return Command(name, query=rest[:MAX_QUERY_CHARS])


_EXAMPLES = {
    "search": "refund delay",
    "ask": "what do people say about pricing?",
    "route": "my card was charged twice",
}


def _stats(args: list[str], departments: tuple[str, ...]) -> Command:
    period, department = "7d", None
    for arg in args:
        if _period(arg):
            period = _period(arg) or period
        elif arg.lower() in departments:
            department = arg.lower()
        else:
            raise UsageError(_unknown(arg, departments, "stats [24h|7d|30d] [department]"))
    return Command("stats", period=period, department=department)


def _top(args: list[str], departments: tuple[str, ...]) -> Command:
    if not args:
        raise UsageError(f"`/insights top` needs a department: {', '.join(departments)}.")
    department, period = None, "7d"
    for arg in args:
        if arg.lower() in departments and department is None:
            department = arg.lower()
        elif _period(arg):
            period = _period(arg) or period
        else:
            raise UsageError(_unknown(arg, departments, "top <department> [24h|7d|30d]"))
    if department is None:
        raise UsageError(f"`/insights top` needs a department: {', '.join(departments)}.")
    return Command("top", period=period, department=department)


def _digest(args: list[str], departments: tuple[str, ...]) -> Command:
    if len(args) > 1 or (args and args[0].lower() not in departments):
        raise UsageError(_unknown(" ".join(args), departments, "digest [department]"))
    return Command("digest", department=args[0].lower() if args else None)


def _period(arg: str) -> str | None:
    lowered = arg.lower()
    lowered = PERIOD_ALIASES.get(lowered, lowered)
    return lowered if lowered in PERIODS else None


def _unknown(arg: str, departments: tuple[str, ...], usage: str) -> str:
    return (
        f"`{_inert(arg)}` is neither a period (24h, 7d, 30d) nor a department ({', '.join(departments)}). "
        f"Usage: `/insights {usage}`."
    )


def _inert(value: str) -> str:
    """Echo user input back without letting it become markup or break the code span."""
    cleaned = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
    return cleaned[:60]
