"""Digest rendering: Block Kit for Slack (within its limits, user text escaped) and terminal text."""

from __future__ import annotations

from typing import Any

from bot.domain.text import escape_for_slack, truncate
from bot.reports.digests.model import DepartmentTotal, DigestData, NotableMention

MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MENTION_EXCERPT = 200


def _change(t: DepartmentTotal) -> str:
    pct = t.change_pct
    if pct is None:
        return "new this period" if t.count else "no mentions"
    arrow = "▲" if pct > 0 else "▼" if pct < 0 else "="
    return f"{arrow} {abs(pct):.0f}% vs previous period ({t.previous})"


def _period(d: DigestData) -> str:
    return f"{d.start:%Y-%m-%d %H:%M} – {d.end:%Y-%m-%d %H:%M} UTC"


def _sentiment_line(d: DigestData) -> str:
    total = sum(n for _, n in d.sentiment)
    if not total:
        return "no mentions"
    return " · ".join(f"{s} {n} ({n * 100 / total:.0f}%)" for s, n in d.sentiment)


def _topics_line(d: DigestData) -> str:
    return ", ".join(f"{topic} ({n})" for topic, n in d.topics) or "none"


def _safe_url(url: str) -> str:
    """A URL usable inside <url|label> markup, or '' when it could break out of it."""
    if not url.startswith(("https://", "http://")) or any(c in url for c in " |<>\n"):
        return ""
    return url.replace("&", "&amp;")


def _notable_line(m: NotableMention) -> str:
    tag = f"{m.why} ×{m.repeats}" if m.why == "repeated" else m.why
    excerpt = escape_for_slack(truncate(" ".join(m.text.split()), MENTION_EXCERPT))
    url = _safe_url(m.link)
    where = f"<{url}|{m.department}>" if url else m.department
    return f"• [{tag}] {where}: “{excerpt}”"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_CHARS)}}


def render_digest(d: DigestData) -> dict[str, Any]:
    """{"text": fallback, "blocks": [...]} for chat.postMessage."""
    header = {"type": "header", "text": {"type": "plain_text", "text": truncate(d.title, MAX_HEADER_CHARS)}}
    context = [{"type": "mrkdwn", "text": _period(d)}]
    if d.late_note:
        context.append({"type": "mrkdwn", "text": f":warning: {escape_for_slack(d.late_note)}"})
    fields = [{"type": "mrkdwn", "text": f"*{t.department}*: {t.count}\n{_change(t)}"} for t in d.totals[:9]]
    fields.append({"type": "mrkdwn", "text": f"*Total*: {d.total}\nprevious period: {d.previous_total}"})
    blocks: list[dict[str, Any]] = [
        header,
        {"type": "context", "elements": context},
        {"type": "section", "fields": fields},
        _section(f"*Sentiment*: {_sentiment_line(d)}\n*Top topics*: {escape_for_slack(_topics_line(d))}"),
    ]
    if d.summary:
        source = "" if d.summary_source == "llm" else " _(extractive)_"
        blocks.append(_section(f"*Summary*{source}\n{escape_for_slack(d.summary)}"))
    if d.notable:
        blocks.append(_section("*Notable mentions*\n" + "\n".join(_notable_line(m) for m in d.notable)))
    if d.hidden_departments:
        note = f"Texts from {', '.join(d.hidden_departments)} are shown only to members of its channel."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    fallback = f"{d.title}: {d.total} mentions ({_period(d)})"
    return {"text": truncate(fallback, 3000), "blocks": blocks}


def digest_as_text(d: DigestData) -> str:
    """The digest for a terminal (`python -m bot digest NAME --dry-run`)."""
    lines = [d.title, "=" * len(d.title), f"Period: {_period(d)}"]
    if d.late_note:
        lines.append(f"Note: {d.late_note}")
    lines.append("")
    lines += [f"  {t.department:<10} {t.count:>7}  {_change(t)}" for t in d.totals]
    lines += [f"  {'total':<10} {d.total:>7}  previous period: {d.previous_total}", ""]
    lines += [f"Sentiment: {_sentiment_line(d)}", f"Top topics: {_topics_line(d)}", ""]
    if d.summary:
        lines += [f"Summary ({d.summary_source}): {d.summary}", ""]
    if d.notable:
        lines.append("Notable mentions:")
        for m in d.notable:
            lines.append(
                f"  - [{m.why}] {m.department}: {truncate(' '.join(m.text.split()), 160)} {m.link}".rstrip()
            )
    if d.hidden_departments:
        lines.append(f"(texts from {', '.join(d.hidden_departments)} hidden)")
    return "\n".join(lines)
