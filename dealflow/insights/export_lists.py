"""The rows of the list exports (sales, companies, persons, projects, activities): a header, then one row per record of
the list's own (visibility-scoped, filtered, sorted) queryset, read 2000 at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .exports import CHUNK


def _name(obj: Any) -> str:
    return "" if obj is None else str(obj)


def sale_rows(qs: QuerySet) -> Iterator[list[Any]]:
    yield [_("Title"), _("Company"), _("Owner"), _("Sale type (pipeline)"), _("Lead phase"), _("Status"),
           _("Expected value"), _("Currency"), _("Probability"), _("Sale date"), _("Closed date")]  # fmt: skip
    qs = qs.select_related("company", "owner", "pipeline", "phase")
    for s in qs.iterator(chunk_size=CHUNK):
        yield [s.title, _name(s.company), _name(s.owner), _name(s.pipeline), _name(s.phase),
               s.get_effective_status_display(), s.amount, s.currency, s.probability, s.sale_date, s.closed_date]  # fmt: skip


def company_rows(qs: QuerySet) -> Iterator[list[Any]]:
    yield [_("Name"), _("Account type"), _("Owner"), _("City"), _("Phone"), _("E-mail")]
    for c in qs.select_related("account_type", "owner").iterator(chunk_size=CHUNK):
        yield [c.name, _name(c.account_type), _name(c.owner), c.visiting_city, getattr(c, "phone", ""),
               getattr(c, "email", "")]  # fmt: skip


def person_rows(qs: QuerySet) -> Iterator[list[Any]]:
    yield [_("Name"), _("Company"), _("Owner"), _("Phone"), _("E-mail")]
    for p in qs.select_related("company", "owner").iterator(chunk_size=CHUNK):
        yield [str(p), _name(p.company), _name(p.owner), getattr(p, "phone", ""), getattr(p, "email", "")]


def project_rows(qs: QuerySet) -> Iterator[list[Any]]:
    yield [_("Name"), _("Company"), _("Status"), _("Start date"), _("End date"), _("Owner")]
    for p in qs.select_related("company", "owner").iterator(chunk_size=CHUNK):
        yield [p.name, _name(p.company), p.get_status_display(), p.start_date, p.end_date, _name(p.owner)]


def activity_rows(qs: QuerySet) -> Iterator[list[Any]]:
    yield [_("Due"), _("Type"), _("Subject"), _("Company"), _("Sale"), _("Owner"), _("Done")]
    for a in qs.select_related("owner", "company", "sale").iterator(chunk_size=CHUNK):
        yield [a.starts_at, a.get_kind_display(), a.subject, a.company.name if a.company else "",
               a.sale.title if a.sale else "", _name(a.owner), _("Yes") if a.done else _("No")]  # fmt: skip
