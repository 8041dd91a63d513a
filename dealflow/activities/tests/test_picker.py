"""The activity form's pickers for the linked company, person, sale and project: suggestions
(at most 20, only visible records, narrowed to the chosen company), choosing by number or by
label, and clear messages for an unknown or invisible record or one of another company."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from dealflow.activities.models import Activity
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.relations.tests.factories import CompanyFactory, PersonFactory
from dealflow.sales.tests.factories import SaleFactory

pytestmark = pytest.mark.django_db

NEW = "/activities/new/"
BASE = {"kind": "call", "subject": "Call", "starts_at": "2030-01-02T10:00"}


def options(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)">', html)


def test_suggestions_are_few_visible_and_narrowed_to_the_company(
    client: Any, salesperson: Any, outsider: Any, django_assert_max_num_queries: Any
) -> None:
    acme, other = CompanyFactory(owner=salesperson, name="Acme"), CompanyFactory(owner=salesperson, name="Other")
    for n in range(25):
        SaleFactory(owner=salesperson, company=acme, title=f"Pump {n}")
    elsewhere = SaleFactory(owner=salesperson, company=other, title="Pump elsewhere")
    SaleFactory(owner=outsider, title="Pump secret")
    client.force_login(salesperson)
    url = reverse("activities:activity_pick", args=["sale"])
    with django_assert_max_num_queries(12):
        found = options(client.get(url, {"sale": "pump"}).content.decode())
    assert len(found) == 20 and not any("secret" in o for o in found)
    narrowed = options(client.get(url, {"sale": "pump", "company": f"Acme (#{acme.pk})"}).content.decode())
    assert len(narrowed) == 20 and all(" · Acme (#" in o for o in narrowed)
    assert options(client.get(url, {"sale": "elsewhere"}).content.decode()) == [
        f"Pump elsewhere · Other (#{elsewhere.pk})"
    ]
    companies = options(client.get(reverse("activities:activity_pick", args=["company"]), {"q": "ac"}).content.decode())
    assert companies == [f"Acme (#{acme.pk})"]
    assert client.get(reverse("activities:activity_pick", args=["quote"])).status_code == 404


def test_choose_links_by_label_number_or_exact_name(client: Any, salesperson: Any) -> None:
    acme = CompanyFactory(owner=salesperson, name="Acme")
    person = PersonFactory(owner=salesperson, company=acme)
    sale = SaleFactory(owner=salesperson, company=acme, title="Boiler")
    client.force_login(salesperson)
    response = client.post(NEW, {**BASE, "company": "acme", "person": str(person.pk),
                                 "sale": f"Boiler · Acme (#{sale.pk})"})  # fmt: skip
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (activity.company, activity.person, activity.sale) == (acme, person, sale)
    # The edit form shows the links as labels, and they can be changed or cleared.
    html = client.get(activity.get_absolute_url()).content.decode()
    assert f'value="Boiler · Acme (#{sale.pk})"' in html and 'list="id_sale-options"' in html
    assert f'hx-get="{reverse("activities:activity_pick", args=["sale"])}"' in html
    response = client.post(activity.get_absolute_url(), {**BASE, "company": str(acme.pk), "person": "", "sale": "",
                                                         "version": activity.version})  # fmt: skip
    activity.refresh_from_db()
    assert response.status_code == 302 and (activity.company, activity.person, activity.sale) == (acme, None, None)


def test_invisible_unknown_and_other_company_records_are_refused_with_a_message(
    client: Any, salesperson: Any, outsider: Any
) -> None:
    acme, other = CompanyFactory(owner=salesperson, name="Acme"), CompanyFactory(owner=salesperson, name="Other")
    foreign = SaleFactory(owner=outsider, title="Secret")
    elsewhere = SaleFactory(owner=salesperson, company=other, title="Elsewhere")
    stranger = PersonFactory(owner=salesperson, company=other)
    client.force_login(salesperson)
    for sale in (str(foreign.pk), "999999", f"Secret (#{foreign.pk})"):
        html = client.post(NEW, {**BASE, "sale": sale}).content.decode()
        assert "No record with this number exists, or you may not see it." in html
        assert "Secret" not in html.split("<form")[-1].replace(f"Secret (#{foreign.pk})", "")
    response = client.post(NEW, {**BASE, "company": str(acme.pk), "sale": str(elsewhere.pk),
                                 "person": str(stranger.pk)})  # fmt: skip
    assert set(response.context["form"].errors) == {"sale", "person"}
    html = response.content.decode()
    assert "This sale does not belong to the chosen company." in html
    assert "This person does not belong to the chosen company." in html
    # Without a company the sale's company is the one the person must belong to.
    html = client.post(NEW, {**BASE, "sale": str(elsewhere.pk),
                             "person": str(PersonFactory(owner=salesperson, company=acme).pk)}).content.decode()  # fmt: skip
    assert "This person does not belong to the chosen company." in html
    html = client.post(NEW, {**BASE, "company": "Nobody by this name"}).content.decode()
    assert "Pick one of the suggestions, or give the record&#x27;s number." in html
    assert not Activity.objects.exists()


def test_an_edit_keeps_unchanged_links(client: Any, salesperson: Any) -> None:
    acme = CompanyFactory(owner=salesperson, name="Acme")
    activity = ActivityFactory(owner=salesperson, company=acme)
    client.force_login(salesperson)
    html = client.get(activity.get_absolute_url()).content.decode()
    value = re.search(r'name="company" value="([^"]*)"', html)
    assert value and value.group(1) == f"Acme (#{acme.pk})"
    client.post(activity.get_absolute_url(), {**BASE, "company": value.group(1), "version": activity.version})
    activity.refresh_from_db()
    assert activity.company == acme and activity.subject == "Call"


def test_another_companys_person_is_refused_on_the_field_when_editing(client: Any, salesperson: Any) -> None:
    acme, other = CompanyFactory(owner=salesperson, name="Acme"), CompanyFactory(owner=salesperson, name="Other")
    colleague = PersonFactory(owner=salesperson, company=acme)
    stranger = PersonFactory(owner=salesperson, company=other)
    activity = ActivityFactory(owner=salesperson, company=acme, person=colleague, subject="Call")
    client.force_login(salesperson)
    sent = {**BASE, "subject": "Changed", "company": str(acme.pk), "person": str(stranger.pk), "version": 1}
    response = client.post(activity.get_absolute_url(), sent)
    assert response.status_code == 200
    assert response.context["form"].errors == {"person": ["This person does not belong to the chosen company."]}
    activity.refresh_from_db()
    assert (activity.person, activity.subject, activity.version) == (colleague, "Call", 1)
    response = client.post(activity.get_absolute_url(), {**sent, "company": str(other.pk)})
    activity.refresh_from_db()
    assert response.status_code == 302 and (activity.company, activity.person) == (other, stranger)
