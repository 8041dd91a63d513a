"""More server-rendered SVG charts, in the style of charts.py: a <title> and a <desc> that say
what the chart says, every number written out beside its bar, patterns besides colours."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .charts import (
    BAR_H,
    BOTTOM,
    GROUP_GAP,
    LABEL_W,
    LOST_STROKE,
    SVG_NS,
    TEXT,
    VALUE_W,
    WIDTH,
    WON_FILL,
    _amount,
    _el,
    _short,
)


def _svg(chart_id: str, height: int, title: str, desc: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS, "viewBox": f"0 0 {WIDTH} {height}", "width": "100%", "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc", "class": "chart", "id": chart_id,
            "font-family": "system-ui, sans-serif", "font-size": "13",
        },
    )  # fmt: skip
    _el(svg, "title", title, id=f"{chart_id}-title")
    _el(svg, "desc", desc or _("Nothing to show."), id=f"{chart_id}-desc")
    return svg


def count_bars(
    items: Sequence[tuple[str, int | Decimal]], *, title: str, chart_id: str, money: bool = False
) -> SafeString:
    """One horizontal bar per (label, number), the number written beside each bar."""

    def shown(value: int | Decimal) -> str:
        return _amount(Decimal(value)) if money else str(value)

    biggest = max([Decimal(v) for _l, v in items] or [Decimal(0)]) or Decimal(1)
    bar_space = WIDTH - LABEL_W - VALUE_W
    step = BAR_H + GROUP_GAP
    svg = _svg(chart_id, 10 + len(items) * step + BOTTOM, title, " ".join(f"{lb}: {shown(v)}." for lb, v in items))
    for index, (label, value) in enumerate(items):
        y = 10 + index * step
        g = _el(svg, "g", class_="group")
        _el(g, "text", _short(label), x=LABEL_W - 10, y=y + BAR_H - 2, text_anchor="end", fill=TEXT)
        width = float(Decimal(value) / biggest) * bar_space
        _el(g, "rect", x=LABEL_W, y=y, height=BAR_H, width=f"{max(width, 1.0 if value else 0.0):.1f}", fill=WON_FILL)
        _el(g, "text", shown(value), x=f"{LABEL_W + width + 6:.1f}", y=y + BAR_H - 3, fill=TEXT, font_size=12,
            class_="value")  # fmt: skip
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308 - built by ElementTree, every text escaped


def year_over_year(
    months: Sequence[str], this_year: Sequence[Decimal], last_year: Sequence[Decimal], *,
    labels: tuple[str, str], title: str, chart_id: str = "year-chart",
) -> SafeString:  # fmt: skip
    """Two bars per month — this year solid, last year hatched — with each amount written above
    the bar (rotated, so long numbers fit in every language)."""
    height, top, bottom, left = 300, 30, 40, 10
    plot_h = height - top - bottom
    slot = (WIDTH - left) / max(len(months), 1)
    bar_w = slot / 2 - 4
    biggest = max([*this_year, *last_year, Decimal(0)]) or Decimal(1)
    desc = " ".join(
        _("%(month)s: %(this)s this year, %(last)s last year.") % {"month": m, "this": _amount(a), "last": _amount(b)}
        for m, a, b in zip(months, this_year, last_year, strict=True)
    )
    svg = _svg(chart_id, height, title, desc)
    defs = _el(svg, "defs")
    hatch = _el(defs, "pattern", id=f"{chart_id}-hatch", width=6, height=6, patternUnits="userSpaceOnUse",
                patternTransform="rotate(45)")  # fmt: skip
    _el(hatch, "rect", width=6, height=6, fill="#fff")
    _el(hatch, "line", x1=0, y1=0, x2=0, y2=6, stroke=LOST_STROKE, stroke_width=3)
    legend = _el(svg, "g", class_="legend", aria_hidden="true")
    _el(legend, "rect", x=left, y=6, width=14, height=14, fill=WON_FILL)
    _el(legend, "text", labels[0], x=left + 20, y=18, fill=TEXT)
    _el(legend, "rect", x=left + 160, y=6, width=14, height=14, fill=f"url(#{chart_id}-hatch)", stroke=LOST_STROKE)
    _el(legend, "text", labels[1], x=left + 180, y=18, fill=TEXT)
    base = top + plot_h
    for index, month in enumerate(months):
        x = left + index * slot
        g = _el(svg, "g", class_="month")
        for offset, value, solid in ((0.0, this_year[index], True), (bar_w + 2, last_year[index], False)):
            h = float(value / biggest) * (plot_h - 50)
            bx = x + offset
            _el(g, "rect", x=f"{bx:.1f}", y=f"{base - h:.1f}", width=f"{bar_w:.1f}", height=f"{h:.1f}",
                fill=WON_FILL if solid else f"url(#{chart_id}-hatch)", stroke="none" if solid else LOST_STROKE)  # fmt: skip
            tx, ty = bx + bar_w / 2 + 4, base - h - 4
            _el(g, "text", _amount(value), x=f"{tx:.1f}", y=f"{ty:.1f}", fill=TEXT, font_size=10, class_="value",
                transform=f"rotate(-90 {tx:.1f} {ty:.1f})")  # fmt: skip
        _el(g, "text", month, x=f"{x + slot / 2 - 2:.1f}", y=base + 16, text_anchor="middle", fill=TEXT, font_size=12)
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308 - built by ElementTree, every text escaped
