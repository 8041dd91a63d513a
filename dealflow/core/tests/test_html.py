"""core.html's dates and amounts must read exactly as Django's `date_format` and
`floatformat:"2g"` write them, in every language: they stand in for those on the busiest pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.dateformat import format as django_format
from django.utils.formats import date_format
from hypothesis import given
from hypothesis import strategies as st

from dealflow.core import html

LANGUAGES = ("en", "nl", "de", "pt")
FORMATS = ("SHORT_DATE_FORMAT", "DATE_FORMAT", "YEAR_MONTH_FORMAT", "MONTH_DAY_FORMAT")
TIME_FORMATS = ("SHORT_DATETIME_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT")
ZONE = ZoneInfo("Europe/Amsterdam")

days = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))
moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC))
amounts = st.one_of(
    st.decimals(min_value=-(10**12), max_value=10**12, places=2),
    st.decimals(min_value=-(10**6), max_value=10**6, places=4),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([Decimal("-0.001"), Decimal("-0.00"), Decimal("0.005"), Decimal("-0.005"), Decimal("1E+3")]),
)


@given(day=days)
def test_dates_read_as_date_format_writes_them(day: dt.date) -> None:
    for language in LANGUAGES:
        with translation.override(language):
            for name in FORMATS:
                assert html.format_date(day, name) == date_format(day, name)
            assert html.short_date(day) == date_format(day, "SHORT_DATE_FORMAT")


@given(moment=moments)
def test_moments_read_as_date_format_writes_them_in_local_time(moment: dt.datetime) -> None:
    with timezone.override(ZONE):
        local = timezone.localtime(moment)
        for language in LANGUAGES:
            with translation.override(language):
                for name in TIME_FORMATS:
                    assert html.format_date(local, name) == date_format(local, name)
                    expected = f'<time datetime="{django_format(local, "c")}">{date_format(local, name)}</time>'
                    assert html.time_tag(moment, name) == expected


@given(amount=amounts)
def test_amounts_read_as_floatformat_2g_writes_them(amount: Any) -> None:
    for language in LANGUAGES:
        with translation.override(language):
            assert html.money(amount) == floatformat(amount, "2g")


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "1,234,567.89"), ("nl", "1.234.567,89"), ("de", "1.234.567,89"), ("pt", "1.234.567,89")],
)
def test_amounts_are_grouped_in_each_language(language: str, written: str) -> None:
    with translation.override(language):
        assert html.money(Decimal("1234567.885")) == written
        assert html.money(None) == floatformat(None, "2g")
        assert html.money("12.5") == floatformat("12.5", "2g")


def test_a_written_out_format_with_escaped_letters_reads_as_django_writes_it() -> None:
    day, moment = dt.date(2026, 3, 4), dt.datetime(2026, 3, 4, 0, 5, tzinfo=ZONE)
    for fmt in (r"\d\a\y j \o\f F Y", r"l \t\h\e jS, N", "D d M y, P e", "c"):
        with translation.override("pt"):
            assert html.format_date(moment, fmt) == date_format(moment, fmt)
    assert html.format_date(day, r"\d\a\y j \o\f F Y") == "day 4 of March 2026"
    with translation.override("de"):
        assert html.short_date(day) == "04.03.2026"
