"""User-defined fields on companies and persons: the form asks for them (required ones are
required), the service stores them in `custom`, the card shows pinned ones on the main tab and
the others under More."""

from __future__ import annotations

import datetime as dt

import pytest

from dealflow.relations.models import Company
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory
from dealflow.sales.models import UserDefinedField


@pytest.fixture
def company_fields(db):
    UserDefinedField.objects.create(entity="company", code="branch", label="Branch", required=True, pinned=True)
    UserDefinedField.objects.create(entity="company", code="since", label="Customer since", field_type="date")
    UserDefinedField.objects.create(entity="person", code="vip", label="VIP", field_type="checkbox", pinned=True)


def test_company_form_requires_and_stores_user_fields(client, salesperson, company_fields):
    client.force_login(salesperson)
    response = client.post("/companies/new/", {"name": "Acme", "udf_since": "2024-03-01"})
    assert response.status_code == 200
    assert "udf_branch" in response.context["form"].errors
    assert not Company.objects.filter(name="Acme").exists()

    response = client.post("/companies/new/", {"name": "Acme", "udf_branch": "Installer", "udf_since": "2024-03-01"})
    assert response.status_code == 302
    company = Company.objects.get(name="Acme")
    assert company.custom == {"branch": "Installer", "since": "2024-03-01"}

    html = client.get(f"/companies/{company.pk}/").content.decode()
    main, more = html.split('id="more-fields-h"')
    assert "<dt>Branch</dt><dd>Installer</dd>" in main
    assert "<dt>Customer since</dt>" in more and dt.date(2024, 3, 1).strftime("%Y") in more


def test_company_edit_keeps_and_changes_user_fields(client, salesperson, company_fields):
    company = CompanyFactory(name="Acme", owner=salesperson, custom={"branch": "Installer"})
    client.force_login(salesperson)
    form = client.get(f"/companies/{company.pk}/edit/").context["form"]
    assert form["udf_branch"].value() == "Installer"
    response = client.post(
        f"/companies/{company.pk}/edit/",
        {"name": "Acme", "country": "NL", "udf_branch": "Wholesaler", "version": company.version},
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.custom["branch"] == "Wholesaler"


def test_person_card_shows_pinned_checkbox(client, salesperson, company_fields):
    person = PersonFactory(company=CompanyFactory(owner=salesperson), custom={"vip": True})
    client.force_login(salesperson)
    html = client.get(f"/persons/{person.pk}/").content.decode()
    assert "<dt>VIP</dt><dd>Yes</dd>" in html
