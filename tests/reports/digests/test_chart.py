"""The digest chart is a valid PNG of the documented size, for busy and empty periods."""

from __future__ import annotations

import struct
from datetime import date, datetime

from bot.reports.digests.chart import CHART_HEIGHT_PX, CHART_WIDTH_PX, render_chart
from bot.reports.digests.model import DailyCount, DepartmentTotal, DigestData

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _digest(daily: tuple[DailyCount, ...], departments: tuple[str, ...]) -> DigestData:
    return DigestData(
        title="Weekly",
        start=datetime(2026, 11, 16, 9),
        end=datetime(2026, 11, 23, 9),
        departments=departments,
        totals=tuple(DepartmentTotal(d, 0, 0) for d in departments),
        sentiment=(),
        topics=(),
        notable=(),
        daily=daily,
    )


def test_chart_is_png_of_the_right_size() -> None:
    daily = tuple(
        DailyCount(date(2026, 11, 16 + i), dept, sentiment, 3 + i)
        for i in range(7)
        for dept in ("product", "support")
        for sentiment in ("positive", "neutral", "negative")
    )
    png = render_chart(_digest(daily, ("product", "support", "hr")))
    assert _size(png) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
    assert png.endswith(b"IEND\xaeB`\x82")


def test_empty_chart_still_renders() -> None:
    png = render_chart(_digest((), ()))
    assert _size(png) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
