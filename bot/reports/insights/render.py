"""Block Kit for the /insights answers: pure functions from query results to ephemeral messages.

Mention texts, summaries and user input are escaped once with bot.slack.cards.escaped_within, so an answer
can never ping anyone; only markup built here (links, channel mentions) is inserted as-is.
"""

from __future__ import annotations

from typing import Any

from bot.reports.digests import notable
from bot.reports.insights.ask import Answer
from bot.reports.insights.route import DryRun
from bot.reports.insights.search import SearchResult
from bot.reports.insights.stats import SENTIMENTS, Stats
from bot.slack.cards import (
    DEPARTMENT_EMOJI,
    SENTIMENT_EMOJI,
    URGENCY_EMOJI,
    escaped_within,
    link_markup,
    source_label,
)
from bot.store.mention_rows import MentionRow

Message = dict[str, Any]
HELP = (
    "*`/insights` commands* (answers are only visible to you)\n"
    "• `/insights stats [24h|7d|30d] [department]` — counts, sentiment, change vs the previous period\n"
    "• `/insights top <department> [24h|7d|30d]` — most urgent and most negative mentions, with links\n"
    "• `/insights search <words>` — full-text search over stored mentions\n"
    "• `/insights ask <question>` — an answer from stored mentions, citing them\n"
    "• `/insights route <text>` — dry run: how a text would be classified and where it would go\n"
    "• `/insights digest [department]` — the digest, now\n"
    "Departments: {departments}."
)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000], "verbatim": True}]}


def message(text: str, blocks: list[dict[str, Any]] | None = None) -> Message:
    """An ephemeral answer; `text` is the notification fallback."""
    return {"response_type": "ephemeral", "text": text[:3000], "blocks": blocks or [section(text)]}


def title(department: str) -> str:
    return "HR" if department == "hr" else department.title()


def render_help(departments: tuple[str, ...]) -> Message:
    return message(HELP.format(departments=", ".join(departments)))


def render_error(text: str) -> Message:
    return message(f":warning: {text}")


def render_stats(stats: Stats) -> Message:
    head = f"*Mentions, last {stats.period}:* {stats.total} ({_change(stats.total, stats.previous_total)})"
    lines = []
    for d in stats.departments:
        split = " ".join(f"{SENTIMENT_EMOJI[s]} {d.sentiment.get(s, 0)}" for s in SENTIMENTS)
        emoji = DEPARTMENT_EMOJI.get(d.department, "❔")
        lines.append(f"{emoji} *{title(d.department)}*: {d.count} ({_change(d.count, d.previous)}) · {split}")
    blocks = [section(head), section("\n".join(lines) or "_No departments._")]
    if stats.top_topics:
        tags = " ".join(f"`{escaped_within(t, 40)}` ×{n}" for t, n in stats.top_topics)
        blocks.append(section(f"*Top topics:* {tags}"))
    if stats.total == 0:
        blocks.append(context(f"No mentions stored in the last {stats.period}."))
    return message(f"{mentions(stats.total)} in the last {stats.period}", blocks)


def _change(current: int, previous: int) -> str:
    if previous == 0:
        return "new" if current else "no change"
    pct = (current - previous) * 100 / previous
    arrow = "▲" if pct > 0 else "▼" if pct < 0 else "="
    return f"{arrow} {abs(pct):.0f}% vs previous"


def mention_link(row: MentionRow) -> str:
    """The original post, else the Slack message it came from; '' when there is neither."""
    return notable.mention_link(row.url, row.slack_channel, row.slack_ts)


def mention_line(row: MentionRow, number: int | None = None) -> str:
    marks = f"{URGENCY_EMOJI.get(row.urgency, '')}{SENTIMENT_EMOJI.get(row.sentiment, '')}"
    prefix = f"*[{number}]* " if number is not None else ""
    when = row.received_at.strftime("%b %d %H:%M") if row.received_at else ""
    link = mention_link(row)
    tail = f" · {link_markup(link, 'open')}" if link else ""
    source = source_label(row.source, row.source_name)
    where = f" · {escaped_within(source, 170)}" if source else ""  # outside the italics: names may hold '_'
    meta = f"_{title(row.department)} · #{row.id} · {when}_{where}{tail}"
    return f"{prefix}{marks} {escaped_within(row.text, 280)}\n{meta}"


def render_top(
    department: str, period: str, rows: list[MentionRow], total: int, visible: bool, channel: str
) -> Message:
    head = f"*Top {title(department)} mentions, last {period}* ({total} in total)"
    if not visible:
        note = f"{total} mentions. Their texts are visible only to members of <#{channel}>."
        return message(f"{title(department)}: {total} mentions", [section(head), context(note)])
    if not rows:
        empty = f"No {title(department)} mentions in the last {period}."
        return message(head, [section(head), context(empty)])
    blocks = [section(head), *(section(mention_line(row)) for row in rows)]
    return message(f"Top {title(department)} mentions", blocks)


def mentions(count: int) -> str:
    """'1 mention', '2 mentions'."""
    return f"{count} mention{'' if count == 1 else 's'}"


def render_search(result: SearchResult, hidden: dict[str, str]) -> Message:
    """`hidden` maps departments whose texts the asker may not read to their channel id.

    The headline counts only rows the asker may open; matches in hidden departments are one note
    each, so every number shown is one the asker can check. A count that reached the cap reads
    "1,000+": at least that many, not counted further."""
    query = escaped_within(result.query, 100)
    notes = [
        context(
            f"{n:,}{'+' * result.is_capped(d)} more in {title(d)}: visible only to members of <#{channel}>."
        )
        for d, channel in sorted(hidden.items())
        if (n := result.hidden(d))
    ]
    if result.total == 0:
        text = f"No mentions you can read match “{query}”." if notes else f"No mentions match “{query}”."
        return message(text, [section(text), *notes]) if notes else message(text)
    shown = f", newest {len(result.rows)} shown" if len(result.rows) < result.total else ", newest first"
    count = f"{result.total:,}+ mentions" if result.capped else mentions(result.total)
    head = f"{count} match{'es' if result.total == 1 else ''} “{query}”"
    blocks = [section(f"*{head}*{shown}"), *(section(mention_line(row)) for row in result.rows), *notes]
    return message(head, blocks)


def render_answer(answer: Answer) -> Message:
    question = section(f"*Q:* {escaped_within(answer.question, 300)}")
    blocks = [question, section(escaped_within(answer.text, 2900))]
    numbers = answer.cited or tuple(range(1, min(len(answer.sources), 5) + 1))
    lines = [mention_line(answer.sources[n - 1], n) for n in numbers]
    if lines:
        blocks.append(context("Sources:"))
        blocks.extend(section(line) for line in lines)
    return message(escaped_within(answer.text, 2900), blocks)


def render_no_llm() -> Message:
    return message(
        "`/insights ask` needs an LLM, and none is configured. Ask your admin to set `OPENAI_API_KEY` "
        "(and `OPENAI_BASE_URL` for a self-hosted model). Meanwhile, try `/insights search <words>`."
    )


def render_route(run: DryRun, channel_markup: str) -> Message:
    r = run.result
    where = channel_markup if run.route.channel else "nowhere (stored and counted, not posted)"
    lines = [
        f"*Department:* {title(r.department)} · *confidence* {r.confidence:.2f}",
        f"*Decided by:* {escaped_within(r.classifier, 20)}"
        + (f" ({escaped_within(r.model, 60)})" * bool(r.model)),
        f"*Why:* {escaped_within(r.reason or 'no reason given', 400)}",
        f"*Would go to:* {where}" + (" (triage)" if run.route.triage else ""),
        f"*Routing:* {escaped_within(run.route.reason, 300)}",
        f"*Sentiment* {r.sentiment} · *urgency* {r.urgency} · *language* {escaped_within(r.language, 10)}",
    ]
    blocks = [section(f"*Dry run for:* {escaped_within(run.text, 500)}"), section("\n".join(lines))]
    blocks.append(context("Nothing was stored or posted."))
    return message(f"Would route to {title(r.department)}", blocks)


def render_digest_unavailable() -> Message:
    return message("Digests are not configured on this installation yet, so there is nothing to show.")
