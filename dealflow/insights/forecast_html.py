"""The forecast page's tables as HTML built in Python: per period a row of nine amounts, per
accuracy month five values and per largest sale a row with its category form. In the template
engine these few hundred values (each a lookup, a filter and an escape) took about half of the
page's time; the markup is the same the templates wrote (a test compares the two)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dealflow.core.html import e, money, short_date
from dealflow.core.links import record_url

from .forecast import AccuracyRow, ForecastCell

DASH = "—"


def _optional(value: Any) -> str:
    return DASH if value is None else money(value)


def _cells(c: ForecastCell, *, behind: bool) -> str:
    gap = c.gap
    marked = ' class="num behind"' if behind and gap else ' class="num"'
    return (
        f'<td class="num">{money(c.unweighted)}</td><td class="num">{money(c.weighted)}</td>\n'
        f'    <td class="num">{money(c.commit)}</td><td class="num">{money(c.best_case)}</td>\n'
        f'    <td class="num">{money(c.pipeline)}</td>\n'
        f'    <td class="num">{_optional(c.target)}</td>\n'
        f'    <td class="num">{money(c.sold)}</td>\n'
        f"    <td{marked}>{_optional(gap)}</td></tr>"
    )


def period_rows(rows: Iterable[tuple[Any, str, ForecastCell]]) -> SafeString:
    """The forecast table's body: per period its label, amounts, target, sold and what is still
    to find (marked when something is)."""
    return mark_safe(  # noqa: S308 - every value escaped or a formatted number
        "".join(f'\n  <tr><th scope="row">{e(label)}</th>\n    {_cells(c, behind=True)}\n  ' for _s, label, c in rows)
    )


def total_row(c: ForecastCell) -> SafeString:
    return mark_safe(f'<tr><th scope="row">{e(_("Total"))}</th>\n    {_cells(c, behind=False)}')  # noqa: S308


def accuracy_rows(accuracy: Iterable[AccuracyRow]) -> SafeString:
    """Per finished month: the snapshot's day, its weighted forecast, what was sold and the
    share of the forecast that was."""
    out = []
    for a in accuracy:
        taken = short_date(a.taken_on) if a.taken_on else DASH
        share = a.accuracy
        out.append(
            f'\n  <tr><th scope="row">{e(a.label)}</th><td>{taken}</td>\n'
            f'    <td class="num">{_optional(a.forecast)}</td>\n'
            f'    <td class="num">{money(a.sold)}</td>\n'
            f'    <td class="num">{DASH if share is None else e(floatformat(share, 1))}</td></tr>\n  '
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped or a formatted number


def sale_rows(
    sales: Iterable[tuple[Any, str]], *, categories: list[tuple[str, Any]], can_override: bool, csrf_token: str,
    back: str,
) -> SafeString:  # fmt: skip
    """The largest open sales: title (to the card), owner, sale date, amount, probability and
    the forecast category — a form to set it for whoever may, else its name."""
    names = [(value, e(label)) for value, label in categories]
    follow, save = e(_("Follow the probability")), e(_("Save"))
    token, back = e(csrf_token), e(back)
    out = []
    for sale, category in sales:
        title = e(sale.title)
        if can_override:
            chosen = sale.forecast_category
            options = "".join(
                f'<option value="{e(value)}"{" selected" if chosen == value else ""}>{label}</option>'
                for value, label in names
            )
            aria = _("Forecast category of %(sale)s") % {"sale": title}
            shown = (
                f'<form method="post" action="{record_url("insights:forecast_category", sale.pk)}" class="inline">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">\n'
                f'      <input type="hidden" name="next" value="{back}">\n'
                f'      <select name="category" aria-label="{aria}">\n'
                f'        <option value=""{"" if chosen else " selected"}>{follow}</option>\n'
                f"        {options}\n"
                f"      </select>\n"
                f'      <button type="submit">{save}</button></form>\n      '
            )
        else:
            shown = "".join(label for value, label in names if value == category)
        day = short_date(sale.sale_date) if sale.sale_date else ""
        out.append(
            f'\n  <tr><th scope="row"><a href="{e(sale.get_absolute_url())}">{title}</a></th><td>{e(sale.owner)}</td>\n'
            f'    <td>{day}</td><td class="num">{money(sale.amount)}</td>\n'
            f'    <td class="num">{e(sale.probability)} %</td>\n'
            f"    <td>{shown}</td></tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped or a formatted number
