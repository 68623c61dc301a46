"""The digest chart: mentions per day per department, sentiment stacked, as PNG bytes (server-side)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")  # no display on servers; must be chosen before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bot.reports.digests.model import DigestData  # noqa: E402

CHART_WIDTH_PX = 1200
CHART_HEIGHT_PX = 600
DPI = 100
SENTIMENT_COLOURS = (("negative", "#d9534f"), ("neutral", "#9e9e9e"), ("positive", "#5cb85c"))


def _days(d: DigestData) -> list[date]:
    first, last = d.start.date(), (d.end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def render_chart(d: DigestData) -> bytes:
    """A fixed-size PNG (CHART_WIDTH_PX × CHART_HEIGHT_PX): one panel per department."""
    days = _days(d)
    index = {day: i for i, day in enumerate(days)}
    depts = list(d.departments) or ["(none)"]
    fig: Figure = plt.figure(figsize=(CHART_WIDTH_PX / DPI, CHART_HEIGHT_PX / DPI), dpi=DPI)
    try:
        axes = fig.subplots(len(depts), 1, sharex=True, squeeze=False)[:, 0]
        for ax, dept in zip(axes, depts, strict=True):
            bottom = [0] * len(days)
            for sentiment, colour in SENTIMENT_COLOURS:
                heights = [0] * len(days)
                for row in d.daily:
                    if row.department == dept and row.sentiment == sentiment and row.day in index:
                        heights[index[row.day]] += row.count
                ax.bar(range(len(days)), heights, bottom=bottom, color=colour, label=sentiment, width=0.8)
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
            ax.set_title(dept, loc="left", fontsize="medium", fontweight="bold")
            ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
            ax.spines[["top", "right"]].set_visible(False)
        fig.suptitle(f"Mentions per day ({d.start:%Y-%m-%d} – {d.end:%Y-%m-%d} UTC)")
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
