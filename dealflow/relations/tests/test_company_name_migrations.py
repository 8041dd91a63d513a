"""The company-name copies (relations.denorm) through real migrations: each copy is installed by
the migration that adds its column and dropped by that migration's reverse, the other copy keeps
working meanwhile, and on SQLite the triggers step aside while migrations run (a later
migration may rebuild the tables) and come back with the names repaired."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from dealflow.relations import denorm
from dealflow.relations.models import Company, Person
from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory, PersonFactory
from dealflow.sales.models import Sale
from dealflow.sales.tests.factories import SaleFactory, pipeline_with_phases


def sale_columns() -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, "sales_sale")}


@pytest.mark.django_db(transaction=True)
def test_the_sales_copy_goes_and_comes_back_with_its_migration(salesperson: Any) -> None:
    company = CompanyFactory(name="Acme", owner=salesperson)
    person = PersonFactory(company=company, owner=salesperson)
    sale = SaleFactory(owner=salesperson, pipeline=pipeline_with_phases(), company=company)
    assert Sale.objects.get(pk=sale.pk).company_name == "Acme"

    call_command("migrate", "sales", "0009", verbosity=0)
    assert "company_name" not in sale_columns()
    assert [copy.table for copy in denorm.present(connection)] == ["relations_person"]
    assert denorm.trigger_names(connection) == set(denorm.PERSONS.triggers(connection))
    Company.objects.filter(pk=company.pk).update(name="Acme Two")  # the persons' copy still follows
    assert Person.objects.get(pk=person.pk).company_name == "Acme Two"

    call_command("migrate", verbosity=0)  # every app: also what a later migration built on sales 0010
    assert "company_name" in sale_columns()
    wanted = denorm.SQLITE_TRIGGERS if connection.vendor == "sqlite" else denorm.PG_TRIGGERS
    assert denorm.trigger_names(connection) == set(wanted)
    assert Sale.objects.get(pk=sale.pk).company_name == "Acme Two"  # filled by the migration
    Company.objects.filter(pk=company.pk).update(name="Acme Three")
    assert Sale.objects.get(pk=sale.pk).company_name == "Acme Three"
    assert Person.objects.get(pk=person.pk).company_name == "Acme Three"


@pytest.mark.django_db(transaction=True)
def test_the_account_type_copy_goes_and_comes_back_with_its_migration(salesperson: Any) -> None:
    """Sales migration 0013 adds the sales' copy of their company's account type: back before it,
    the copies of the names keep working; forward again, the types are filled and followed."""
    customer = AccountTypeFactory(code="customer", name="Customer")
    lead = AccountTypeFactory(code="lead", name="Lead")
    company = CompanyFactory(name="Acme", owner=salesperson, account_type=customer)
    sale = SaleFactory(owner=salesperson, pipeline=pipeline_with_phases(), company=company)
    assert Sale.objects.values_list("account_type_id", flat=True).get(pk=sale.pk) == customer.pk

    call_command("migrate", "sales", "0012", verbosity=0)
    assert "account_type_id" not in sale_columns()
    assert "company_name" in sale_columns()
    names = set(denorm.PERSONS.triggers(connection)) | set(denorm.SALES.triggers(connection))
    assert denorm.trigger_names(connection) == names
    Company.objects.filter(pk=company.pk).update(name="Acme Two", account_type=lead)  # the names still follow
    assert Sale.objects.values_list("company_name", flat=True).get(pk=sale.pk) == "Acme Two"

    call_command("migrate", verbosity=0)
    wanted = denorm.SQLITE_TRIGGERS if connection.vendor == "sqlite" else denorm.PG_TRIGGERS
    assert denorm.trigger_names(connection) == set(wanted)
    assert Sale.objects.values_list("account_type_id", flat=True).get(pk=sale.pk) == lead.pk  # filled
    Company.objects.filter(pk=company.pk).update(account_type=customer)
    assert Sale.objects.values_list("account_type_id", flat=True).get(pk=sale.pk) == customer.pk
