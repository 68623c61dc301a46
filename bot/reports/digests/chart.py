"""The digest chart: mentions per day per department, sentiment stacked, as PNG bytes (server-side).

Days are the digest timezone's days of the POSTED time; every panel shares one y-scale, so a tall bar
means many mentions whichever department it is in.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display on servers; must be chosen before pyplot is imported

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reports.digests.changes import department_name
from bot.reports.digests.model import DigestData

CHART_WIDTH_PX = 1200
CHART_HEIGHT_PX = 600
DPI = 100
SENTIMENT_COLOURS = (("negative", "#d9534f"), ("neutral", "#9e9e9e"), ("positive", "#5cb85c"))


def _local(at: datetime, timezone: str) -> datetime:
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))


def chart_days(d: DigestData) -> list[date]:
    """The local days the period touches, in the digest's timezone."""
    first = _local(d.start, d.timezone).date()
    last = _local(d.end - timedelta(microseconds=1), d.timezone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def chart_series(d: DigestData) -> dict[str, dict[str, list[int]]]:
    """department → sentiment → count per local day (the bars the chart draws), departments in order."""
    days = chart_days(d)
    index = {day: i for i, day in enumerate(days)}
    series = {dept: {s: [0] * len(days) for s, _ in SENTIMENT_COLOURS} for dept in d.departments}
    for row in d.daily:
        if row.department in series and row.day in index:
            bars = series[row.department]
            bars.setdefault(row.sentiment, [0] * len(days))[index[row.day]] += row.count
    return series


def y_limit(series: dict[str, dict[str, list[int]]]) -> int:
    """The one y-scale top: the tallest stacked bar of any department (at least 1)."""
    tallest = [sum(day) for bars in series.values() for day in zip(*bars.values(), strict=True)]
    return int(max([1, *tallest]))


def render_chart(d: DigestData) -> bytes:
    """A fixed-size PNG (CHART_WIDTH_PX × CHART_HEIGHT_PX): one panel per department."""
    days = chart_days(d)
    series = chart_series(d)
    depts = list(series) or ["(none)"]
    top = y_limit(series)
    fig: Figure = plt.figure(figsize=(CHART_WIDTH_PX / DPI, CHART_HEIGHT_PX / DPI), dpi=DPI)
    try:
        axes = fig.subplots(len(depts), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
        for ax, dept in zip(axes, depts, strict=True):
            bottom = [0] * len(days)
            for sentiment, colour in SENTIMENT_COLOURS:
                heights = series.get(dept, {}).get(sentiment, [0] * len(days))
                ax.bar(range(len(days)), heights, bottom=bottom, color=colour, label=sentiment, width=0.8)
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
            ax.set_title(department_name(dept), loc="left", fontsize="medium", fontweight="bold")
            ax.set_ylim(0, top * 1.05)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
            ax.spines[["top", "right"]].set_visible(False)
        first, last = days[0], days[-1]
        fig.suptitle(f"Mentions per day by posted time ({first:%Y-%m-%d} – {last:%Y-%m-%d}, {d.timezone})")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", ncols=3, fontsize="small", frameon=False)
        fig.subplots_adjust(left=0.06, right=0.98, top=0.88, bottom=0.08, hspace=0.6)
        step = max(1, len(days) // 14)
        axes[-1].set_xticks(range(0, len(days), step), [f"{day:%b %d}" for day in days[::step]])
        buffer = io.BytesIO()
        # no bbox_inches="tight": it would change the pixel size
        fig.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
    finally:
        plt.close(fig)
