"""Charts drawn on the server as SVG: no JavaScript, readable by screen readers (a <title> and a
<desc> that says what the bars say), and readable on paper (numbers beside every bar, lost bars
hatched so they differ from won bars without colour).

The SVG is built with ElementTree, so every label is escaped and the result is well-formed XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .selectors import WinLossRow

SVG_NS = "http://www.w3.org/2000/svg"
WON_FILL = "#1e7a3c"
LOST_STROKE = "#b3261e"
TEXT = "#1d2330"

WIDTH = 760
LABEL_W = 210  # left column with the group names
VALUE_W = 110  # right margin for the numbers beside the bars
BAR_H = 14
BAR_GAP = 3
GROUP_GAP = 16
TOP = 34  # the legend
BOTTOM = 8
MAX_LABEL = 30


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def _amount(value: Decimal) -> str:
    return number_format(value, 2, force_grouping=True)


def win_loss_bars(
    groups: Sequence[WinLossRow], *, title: str, measure: str = "count", chart_id: str = "win-loss-chart"
) -> SafeString:
    """Two horizontal bars per group, won and lost, by count or by value."""

    def size(row: WinLossRow, won: bool) -> Decimal:
        if measure == "value":
            return row.won_value if won else row.lost_value
        return Decimal(row.won if won else row.lost)

    def shown(row: WinLossRow, won: bool) -> str:
        return _amount(size(row, won)) if measure == "value" else str(row.won if won else row.lost)

    biggest = max([size(g, w) for g in groups for w in (True, False)] or [Decimal(0)]) or Decimal(1)
    bar_space = WIDTH - LABEL_W - VALUE_W
    group_h = 2 * BAR_H + BAR_GAP + GROUP_GAP
    height = TOP + len(groups) * group_h + BOTTOM

    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "class": "chart",
            "id": chart_id,
            "font-family": "system-ui, sans-serif",
            "font-size": "13",
        },
    )
    _el(svg, "title", title, id=f"{chart_id}-title")
    lines = [
        _("%(group)s: %(won)s won, %(lost)s lost.") % {"group": g.label, "won": shown(g, True), "lost": shown(g, False)}
        for g in groups
    ]
    _el(svg, "desc", " ".join(lines) or _("Nothing to show."), id=f"{chart_id}-desc")

    defs = _el(svg, "defs")
    hatch = _el(
        defs, "pattern", id=f"{chart_id}-hatch", width=6, height=6, patternUnits="userSpaceOnUse",
        patternTransform="rotate(45)",
    )  # fmt: skip
    _el(hatch, "rect", width=6, height=6, fill="#fff")
    _el(hatch, "line", x1=0, y1=0, x2=0, y2=6, stroke=LOST_STROKE, stroke_width=3)

    legend = _el(svg, "g", class_="legend", aria_hidden="true")
    _el(legend, "rect", x=LABEL_W, y=8, width=14, height=14, fill=WON_FILL)
    _el(legend, "text", _("Won"), x=LABEL_W + 20, y=20, fill=TEXT)
    _el(legend, "rect", x=LABEL_W + 90, y=8, width=14, height=14, fill=f"url(#{chart_id}-hatch)", stroke=LOST_STROKE)
    _el(legend, "text", _("Lost"), x=LABEL_W + 110, y=20, fill=TEXT)

    for index, group in enumerate(groups):
        y = TOP + index * group_h
        g = _el(svg, "g", class_="group")
        label = _el(g, "text", _short(group.label), x=LABEL_W - 10, y=y + BAR_H + 2, text_anchor="end", fill=TEXT)
        if label.text != group.label:
            _el(label, "title", group.label)
        for offset, won in ((0, True), (BAR_H + BAR_GAP, False)):
            value = size(group, won)
            width = float(value / biggest) * bar_space
            bar = _el(
                g, "rect", x=LABEL_W, y=y + offset, height=BAR_H, width=f"{max(width, 1.0 if value else 0.0):.1f}",
                fill=WON_FILL if won else f"url(#{chart_id}-hatch)",
                stroke="none" if won else LOST_STROKE,
                class_="won" if won else "lost",
            )  # fmt: skip
            what = _("won") if won else _("lost")
            _el(bar, "title", f"{group.label} — {what}: {shown(group, won)}")
            _el(
                g, "text", shown(group, won), x=f"{LABEL_W + width + 6:.1f}", y=y + offset + BAR_H - 3,
                fill=TEXT, font_size=12, class_="value",
            )  # fmt: skip
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308 - built by ElementTree, every text escaped
