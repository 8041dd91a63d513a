from __future__ import annotations

import factory

from dealflow.accounts.tests.factories import UserFactory
from dealflow.relations.models import AccountType, Company, Person, Project


class AccountTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"type{n}")
    name = factory.LazyAttribute(lambda t: t.code.title())


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    owner = factory.SubFactory(UserFactory)
    visiting_city = "Utrecht"
    country = "NL"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Sequence(lambda n: f"Person{n}")
    company = factory.SubFactory(CompanyFactory)
    owner = factory.LazyAttribute(lambda p: p.company.owner if p.company else UserFactory())


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    company = factory.SubFactory(CompanyFactory)
    owner = factory.LazyAttribute(lambda p: p.company.owner)
