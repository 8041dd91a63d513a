"""The forecast chart: per period a bar of the weighted pipeline stacked on what was sold, and
the target as a line with a dot per period. Server-rendered SVG with a title and a description."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .charts import TEXT, _amount, _el
from .forecast import ForecastReport

SOLD_FILL = "#1e7a3c"
WEIGHTED_FILL = "#6b8fd6"
TARGET_STROKE = "#b3261e"
WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 760, 280, 70, 34, 40


def forecast_chart(report: ForecastReport, *, title: str, chart_id: str = "forecast-chart") -> SafeString:
    cells = [(label, report.totals.cells[start]) for start, label in report.period_labels]
    biggest = max([max(c.sold + c.weighted, c.target or Decimal(0)) for _l, c in cells] or [Decimal(0)]) or Decimal(1)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - 10) / max(len(cells), 1)
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {WIDTH} {HEIGHT}", "width": "100%",
            "role": "img", "aria-labelledby": f"{chart_id}-title {chart_id}-desc", "class": "chart",
            "id": chart_id, "font-family": "system-ui, sans-serif", "font-size": "12",
        },
    )  # fmt: skip
    _el(svg, "title", title, id=f"{chart_id}-title")
    desc = [
        _("%(period)s: sold %(sold)s, weighted pipeline %(weighted)s, target %(target)s.")
        % {
            "period": label,
            "sold": _amount(c.sold),
            "weighted": _amount(c.weighted),
            "target": _amount(c.target) if c.target is not None else "—",
        }  # fmt: skip
        for label, c in cells
    ]
    _el(svg, "desc", " ".join(desc) or _("Nothing to show."), id=f"{chart_id}-desc")
    legend = _el(svg, "g", class_="legend", aria_hidden="true")
    _el(legend, "rect", x=LEFT, y=8, width=14, height=14, fill=SOLD_FILL)
    _el(legend, "text", _("Sold"), x=LEFT + 20, y=20, fill=TEXT)
    _el(legend, "rect", x=LEFT + 110, y=8, width=14, height=14, fill=WEIGHTED_FILL)
    _el(legend, "text", _("Weighted pipeline"), x=LEFT + 130, y=20, fill=TEXT)
    _el(
        legend,
        "line",
        x1=LEFT + 290,
        y1=15,
        x2=LEFT + 310,
        y2=15,
        stroke=TARGET_STROKE,
        stroke_width=2,
        stroke_dasharray="4 2",
    )
    _el(legend, "text", _("Target"), x=LEFT + 316, y=20, fill=TEXT)
    base_y = TOP + plot_h
    _el(svg, "line", x1=LEFT, y1=base_y, x2=WIDTH - 10, y2=base_y, stroke=TEXT)
    _el(svg, "text", _amount(biggest), x=LEFT - 6, y=TOP + 4, text_anchor="end", fill=TEXT, font_size=10)
    points: list[str] = []
    for index, (label, cell) in enumerate(cells):
        x = LEFT + index * slot + slot * 0.15
        w = slot * 0.7
        g = _el(svg, "g", class_="period")
        sold_h = float(cell.sold / biggest) * plot_h
        weighted_h = float(cell.weighted / biggest) * plot_h
        bar = _el(
            g,
            "rect",
            x=f"{x:.1f}",
            y=f"{base_y - sold_h:.1f}",
            width=f"{w:.1f}",
            height=f"{sold_h:.1f}",
            fill=SOLD_FILL,
            class_="sold",
        )
        _el(bar, "title", f"{label} — {_('Sold')}: {_amount(cell.sold)}")
        bar = _el(
            g, "rect", x=f"{x:.1f}", y=f"{base_y - sold_h - weighted_h:.1f}", width=f"{w:.1f}",
            height=f"{weighted_h:.1f}", fill=WEIGHTED_FILL, class_="weighted",
        )  # fmt: skip
        _el(bar, "title", f"{label} — {_('Weighted pipeline')}: {_amount(cell.weighted)}")
        _el(g, "text", label, x=f"{x + w / 2:.1f}", y=base_y + 14, text_anchor="middle", fill=TEXT, font_size=10)
        if cell.target is not None:
            ty = base_y - float(cell.target / biggest) * plot_h
            points.append(f"{x + w / 2:.1f},{ty:.1f}")
            dot = _el(svg, "circle", cx=f"{x + w / 2:.1f}", cy=f"{ty:.1f}", r=3, fill=TARGET_STROKE, class_="target")
            _el(dot, "title", f"{label} — {_('Target')}: {_amount(cell.target)}")
    if len(points) > 1:
        _el(
            svg,
            "polyline",
            points=" ".join(points),
            fill="none",
            stroke=TARGET_STROKE,
            stroke_width=2,
            stroke_dasharray="4 2",
        )
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308 - built by ElementTree, every text escaped
