"""A row of the sales list as HTML, built in Python: the list's rows took most of the page's
time in the template engine (a status, a next activity and a handful of formatted values per
row). `status_cell` is also every other page's status badge ({% sale_status %})."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dealflow.activities import item_html
from dealflow.core.html import e, money, short_date

STATUS_ICONS = {"sold": "✓", "lost": "✕", "stalled": "▲"}
DASH = "—"


def status_cell(sale: Any) -> str:
    """Icon and label of the effective status, and a stalled sale's reopen date."""
    status = sale.effective_status
    html = (
        f'<span class="status status-{e(status)}"><span class="icon" aria-hidden="true">'
        f"{STATUS_ICONS.get(status, '●')}</span>{e(sale.get_effective_status_display())}</span>"
    )
    if status == "stalled" and sale.reopen_date:
        until = _("until %(date)s") % {"date": short_date(sale.reopen_date)}
        html += f' <span class="muted small">{until}</span>'
    return html


def sale_row(sale: Any, *, columns: Any, next_activity: Any, from_qs: str, index: int) -> SafeString:
    """One row: the checkbox for bulk actions, the title linking to the card (with the list it
    came from, for browsing), then the chosen columns."""
    title = e(sale.title)
    select = _("Select %(title)s") % {"title": title}
    cells = [
        f'<td><input type="checkbox" name="ids" value="{sale.pk}" form="bulk-form" aria-label="{select}"> '
        f'<a href="{e(sale.get_absolute_url())}?from={e(quote(from_qs, safe="/"))}&amp;i={index}">{title}</a></td>'
    ]
    if "company" in columns:
        cells.append(f"<td>{e(sale.company.name) if sale.company else DASH}</td>")
    if "phase" in columns:
        idle = ""
        if sale.is_idle:
            hint = e(_("No progress for longer than the days-to-stall limit"))
            label = e(_("Idle"))
            idle = f' <span class="badge idle" title="{hint}">{label}</span>'
        cells.append(f"<td>{e(sale.phase.name)}{idle}</td>")
    if "status" in columns:
        cells.append(f"<td>{status_cell(sale)}</td>")
    if "amount" in columns:
        cells.append(f'<td class="num">{e(money(sale.amount))} {e(sale.currency)}</td>')
    if "sale_date" in columns:
        day = sale.sale_date
        when = f'<time datetime="{day:%Y-%m-%d}">{short_date(day)}</time>' if day else DASH
        cells.append(f"<td>{when}</td>")
    if "owner" in columns:
        cells.append(f"<td>{e(sale.owner)}</td>")
    if "next_activity" in columns:
        cells.append(f"<td>{item_html.next_activity(next_activity)}</td>")
    row = f'<tr class="sale-row status-row-{e(sale.effective_status)}">\n    ' + "\n    ".join(cells) + "\n  </tr>"
    return mark_safe(row)  # noqa: S308 - every value above is escaped
