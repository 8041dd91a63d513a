from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from dealflow.accounts.tests.factories import UserFactory
from dealflow.activities.models import Activity


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    subject = factory.Sequence(lambda n: f"Call {n}")
    kind = "call"
    owner = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
