"""Sales targets: the spread, the grid (spread, copy, copy last year, save, lock), the audit
trail, who may write, and the targets API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from dealflow.audit.models import AuditEvent
from dealflow.core.models import SiteSettings
from dealflow.insights import targets_services as services
from dealflow.insights.models import PeriodKind, SalesTarget, TargetScope

D = Decimal
URL = "/reports/targets/?year=2026&measure=amount_sold"
API = "/api/v1/targets"


def test_spreading_1000_gives_the_leftover_cents_to_the_first_months():
    parts = services.spread_evenly(D("1000.00"))
    assert parts[:4] == [D("83.34")] * 4 and parts[4:] == [D("83.33")] * 8
    assert sum(parts) == D("1000.00")


@given(st.decimals(min_value=0, max_value=10**10, places=2), st.integers(min_value=1, max_value=12))
def test_the_spread_always_adds_up_exactly(total, parts):
    spread = services.spread_evenly(total, parts)
    assert sum(spread) == total and len(spread) == parts
    assert max(spread) - min(spread) <= D("0.01")


def test_copy_last_year_plus_percent_rounds_each_month():
    assert services.raise_by_percent([D("100.00"), None, D("33.33")], D("10")) == [D("110.00"), None, D("36.66")]


# --- services ---------------------------------------------------------------------------------


def _row(actor, user, values, year=2026):
    return services.target_row_save(actor=actor, scope=TargetScope.USER, user=user, year=year, values=values)


@pytest.mark.django_db
def test_saving_a_row_writes_twelve_targets_and_audits_each_change(manager, salesperson):
    _row(manager, salesperson, services.spread_evenly(D("1200")))
    assert SalesTarget.objects.filter(user=salesperson, period_kind=PeriodKind.MONTH).count() == 12
    assert AuditEvent.objects.filter(object_type="salestarget", action="create").count() == 12
    values = [D("100")] * 11 + [D("150")]
    _row(manager, salesperson, values)
    event = AuditEvent.objects.filter(object_type="salestarget", action="update").get()
    assert event.changes == {"value": ["100.00", "150.00"]} and event.actor == manager


@pytest.mark.django_db
def test_a_locked_row_refuses_changes(manager, salesperson):
    _row(manager, salesperson, [D("10")] * 12)
    services.target_row_lock(actor=manager, scope=TargetScope.USER, user=salesperson, year=2026, locked=True)
    with pytest.raises(ValidationError, match="locked"):
        _row(manager, salesperson, [D("20")] * 12)
    assert set(SalesTarget.objects.values_list("value", flat=True)) == {D("10")}
    assert AuditEvent.objects.filter(object_type="salestarget", changes__locked=[False, True]).count() == 12


@pytest.mark.django_db
def test_who_may_set_which_targets(manager, salesperson, outsider, admin_user, team):
    with pytest.raises(PermissionDenied):
        _row(salesperson, salesperson, [D("1")] * 12)
    with pytest.raises(ValidationError, match="Unknown user"):
        _row(manager, outsider, [D("1")] * 12)
    with pytest.raises(PermissionDenied):
        services.target_row_save(actor=manager, scope=TargetScope.COMPANY, year=2026, values=[D("1")] * 12)
    services.target_row_save(actor=manager, scope=TargetScope.TEAM, team=team, year=2026, values=[D("1")] * 12)
    services.target_row_save(actor=admin_user, scope=TargetScope.COMPANY, year=2026, values=[D("1")] * 12)
    with pytest.raises(ValidationError, match="negative"):
        _row(manager, salesperson, [D("-1")] + [D("1")] * 11)


# --- the grid ---------------------------------------------------------------------------------


def _post(client, row, action, **data):
    return client.post(URL, {"row": row, "action": action, **data})


@pytest.mark.django_db
def test_spread_fills_the_row_without_saving_and_save_stores_it(client, manager, salesperson):
    client.force_login(manager)
    row = f"user:{salesperson.pk}"
    response = _post(client, row, "spread", yearly="1000")
    html = response.content.decode()
    assert response.status_code == 200 and 'value="83.34"' in html and 'value="83.33"' in html
    assert not SalesTarget.objects.exists()
    months = {f"m{m}": str(v) for m, v in enumerate(services.spread_evenly(D("1000")), start=1)}
    response = _post(client, row, "save", **months)
    assert response.status_code == 302
    assert sum(SalesTarget.objects.filter(user=salesperson).values_list("value", flat=True)) == D("1000.00")


@pytest.mark.django_db
def test_copy_from_a_row_and_copy_last_year(client, manager, salesperson, teammate):
    _row(manager, teammate, [D("50")] * 12)
    _row(manager, salesperson, [D("100")] * 12, year=2025)
    client.force_login(manager)
    html = _post(client, f"user:{salesperson.pk}", "copy", copy_from=f"user:{teammate.pk}").content.decode()
    assert html.count('value="50.00"') >= 12
    html = _post(client, f"user:{salesperson.pk}", "last_year", percent="10").content.decode()
    assert html.count('value="110.00"') >= 12 and 'value="1320.00"' in html


@pytest.mark.django_db
def test_bad_input_gets_clear_messages(client, manager, salesperson, outsider):
    client.force_login(manager)
    response = _post(client, f"user:{outsider.pk}", "save", m1="5")
    assert response.status_code == 400 and "Unknown user or team." in response.content.decode()
    response = _post(client, f"user:{salesperson.pk}", "save", m1="-5")
    assert response.status_code == 400 and "A target cannot be negative." in response.content.decode()
    _row(manager, salesperson, [D("10")] * 12)
    services.target_row_lock(actor=manager, scope=TargetScope.USER, user=salesperson, year=2026, locked=True)
    response = _post(client, f"user:{salesperson.pk}", "save", m1="20")
    assert "This row is locked" in response.content.decode()


@pytest.mark.django_db
def test_a_salesperson_reads_only_their_own_row(client, manager, salesperson, teammate):
    _row(manager, salesperson, [D("10")] * 12)
    client.force_login(salesperson)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200 and str(salesperson) in html and str(teammate) not in html
    assert 'name="m1"' not in html and "120.00" in html
    assert _post(client, f"user:{salesperson.pk}", "save", m1="1").status_code == 403


# --- the API ----------------------------------------------------------------------------------


def _payload(who, **extra):
    return {"scope": "user", "user": who.pk, "period_kind": "quarter", "year": 2026, "period_number": 1,
            "measure": "amount_sold", "value": "3000.00", **extra}  # fmt: skip


@pytest.mark.django_db
def test_api_create_read_update_delete(api_for, manager, salesperson):
    api = api_for(manager)
    created = api.post(API, _payload(salesperson))
    assert created.status_code == 201, created.content
    target_id = created.json()["id"]
    assert api.get(API, year=2026).json()[0]["value"] == "3000.00"
    assert api_for(salesperson).get(f"{API}/{target_id}").status_code == 200
    patched = api.patch(f"{API}/{target_id}", {"value": "3500"})
    assert patched.status_code == 200 and patched.json()["value"] == "3500.00"
    assert api.patch(f"{API}/{target_id}", {"locked": True}).json()["locked"] is True
    refused = api.patch(f"{API}/{target_id}", {"value": "1"})
    assert refused.status_code == 422 and "locked" in refused.json()["errors"]["value"][0]
    assert api.delete(f"{API}/{target_id}").status_code == 422
    api.patch(f"{API}/{target_id}", {"locked": False})
    assert api.delete(f"{API}/{target_id}").status_code == 204
    actions = list(AuditEvent.objects.filter(object_type="salestarget").values_list("action", flat=True))
    assert sorted(actions) == sorted(["create", "update", "update", "update", "delete"])


@pytest.mark.django_db
def test_api_errors(api_for, manager, salesperson, outsider, admin_user):
    api = api_for(manager)
    assert api_for(salesperson).post(API, _payload(salesperson)).status_code == 403
    unknown = api.post(API, _payload(salesperson, user=999999))
    assert unknown.status_code == 422 and unknown.json()["errors"]["user"] == ["Unknown user."]
    assert api.post(API, _payload(outsider)).status_code == 422
    negative = api.post(API, _payload(salesperson, value="-1"))
    assert negative.status_code == 422 and "negative" in negative.json()["errors"]["value"][0]
    assert api.post(API, _payload(salesperson, period_number=5)).status_code == 422
    assert api.post(API, _payload(salesperson)).status_code == 201
    assert api.post(API, _payload(salesperson)).status_code == 422  # exists already
    other = api_for(admin_user).post(API, _payload(outsider)).json()["id"]
    assert api.get(f"{API}/{other}").status_code == 404
    assert api_for(salesperson).patch(f"{API}/{other}", {"value": "1"}).status_code == 404
    assert len(api_for(salesperson).get(API).json()) == 1
    SiteSettings.objects.update_or_create(pk=1, defaults={"funnel_enabled": False})
    assert api.get(API).status_code == 404


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_a_manager_spreads_a_yearly_target_and_sees_it_in_the_forecast(page, manager, salesperson):
    import datetime as dt

    from playwright.sync_api import expect

    from dealflow.conftest import login
    from dealflow.sales.models import Sale
    from dealflow.sales.services import sale_create
    from dealflow.sales.tests.factories import pipeline_with_phases

    year = dt.date.today().year
    salesperson.first_name, salesperson.last_name = "Anna", "Jansen"
    salesperson.save()
    sale = sale_create(
        actor=salesperson, data={"title": "Big deal", "owner": salesperson, "pipeline": pipeline_with_phases()}
    )
    Sale.objects.filter(pk=sale.pk).update(amount=D("4000.00"), probability=50, sale_date=dt.date(year, 6, 15))

    login(page, manager.username)
    page.goto(f"/reports/targets/?year={year}&measure=amount_sold")
    page.get_by_label("Anna Jansen: year").fill("12000")
    page.get_by_role("button", name="Spread evenly: Anna Jansen").click()
    expect(page.get_by_label("Anna Jansen: month 6")).to_have_value("1000.00")
    page.get_by_role("button", name="Save Anna Jansen").click()
    expect(page.get_by_role("status")).to_contain_text("Targets for Anna Jansen saved.")
    row = page.locator("tr[data-row='user:%d']" % salesperson.pk)
    expect(row.locator("td.total")).to_have_text("12,000.00")

    page.goto(f"/reports/forecast/?date_from={year}-01-01&date_to={year}-12-31&group_by=owner")
    groups = page.locator("#forecast-groups")
    anna = groups.get_by_role("row", name=re.compile("Anna Jansen"))
    expect(anna).to_contain_text("4,000.00")  # the open pipeline
    expect(anna).to_contain_text("2,000.00")  # weighted at 50 %
    expect(anna).to_contain_text("12,000.00")  # next to the target
