"""record_url gives what reverse() gives, under any URL prefix, for every record card."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from dealflow.core.links import record_url

NAMES = [
    "sales:sale_detail",
    "relations:company_detail",
    "relations:person_detail",
    "relations:project_detail",
    "activities:activity_detail",
    "activities:activity_done",
]


@pytest.mark.parametrize("name", NAMES)
def test_the_address_is_the_one_reverse_gives(name):
    for pk in (1, 7, 42, 2147483646, 99999999999):
        assert record_url(name, pk) == reverse(name, args=[pk])


def test_the_url_prefix_of_the_request_is_followed():
    try:
        set_script_prefix("/crm/")
        assert record_url("sales:sale_detail", 5) == reverse("sales:sale_detail", args=[5]) == "/crm/sales/5/"
    finally:
        set_script_prefix("/")
    assert record_url("sales:sale_detail", 5) == "/sales/5/"


def test_a_name_without_one_record_id_is_refused():
    with pytest.raises(NoReverseMatch):
        record_url("sales:sale_list", 5)
