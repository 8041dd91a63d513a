"""When the people a user sees are everyone, no linked record can belong to someone they may
not see: the scope then leaves out the per-row checks of the linked records (the activity list's
count, its pages and the agenda). As soon as anyone else exists, the checks are back."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dealflow.accounts import visibility
from dealflow.accounts.models import User
from dealflow.accounts.tests.factories import UserFactory
from dealflow.activities import selectors
from dealflow.activities.tests.factories import ActivityFactory
from dealflow.relations.tests.factories import CompanyFactory
from dealflow.sales.tests.factories import SaleFactory

pytestmark = pytest.mark.django_db

LINK_CHECK = '"relations_company" U0'


def fresh(user: Any) -> User:
    """The user as a new request sees them (nothing cached from an earlier call)."""
    return User.objects.get(pk=user.pk)


def test_a_team_of_everyone_skips_the_link_checks_and_sees_the_same(salesperson: Any, teammate: Any) -> None:
    ours = CompanyFactory(owner=teammate)
    shown = [
        ActivityFactory(owner=salesperson, company=ours, sale=SaleFactory(owner=teammate, company=ours)),
        ActivityFactory(owner=teammate),
    ]
    qs = selectors.activity_scope(fresh(salesperson))
    assert LINK_CHECK not in str(qs.query)
    assert set(qs) == set(shown)


def test_anyone_outside_the_team_brings_the_checks_back(salesperson: Any, teammate: Any) -> None:
    ours = CompanyFactory(owner=teammate)
    linked = ActivityFactory(owner=salesperson, company=ours)
    plain = ActivityFactory(owner=salesperson)
    # A new colleague outside the team, even an inactive one, may own records: check the links.
    newcomer = UserFactory(username="nora", is_active=False)
    assert visibility.sees_every_owner(fresh(salesperson)) is False
    qs = selectors.activity_scope(fresh(salesperson))
    assert LINK_CHECK in str(qs.query)
    assert set(qs) == {linked, plain}
    ours.owner = newcomer
    ours.save()
    assert set(selectors.activity_scope(fresh(salesperson))) == {plain}


def test_the_list_count_of_a_team_of_everyone(client: Any, salesperson: Any, teammate: Any) -> None:
    ours = CompanyFactory(owner=teammate)
    for n in range(3):
        ActivityFactory(owner=salesperson if n else teammate, company=ours, subject=f"Ring {n}")
    client.force_login(salesperson)
    html = client.get("/activities/", {"status": "all"}).content.decode()
    assert "3 activities" in html and len(re.findall(r'<tr id="activity-row-\d+"', html)) == 3


def test_the_answer_comes_with_the_people_seen_in_one_query(
    salesperson: Any, teammate: Any, django_assert_num_queries: Any
) -> None:
    user = fresh(salesperson)
    with django_assert_num_queries(1):
        assert visibility.visible_owner_ids(user) == {salesperson.pk, teammate.pk}
        assert visibility.sees_every_owner(user)
        selectors.activity_scope(user)
    # People seen set some other way (as tests do) are not taken for everyone.
    user._visible_owner_ids = {salesperson.pk}  # type: ignore[attr-defined]
    assert not visibility.sees_every_owner(user)


def test_a_user_in_no_team_sees_everyone_only_when_alone(db: Any) -> None:
    alone = UserFactory(username="solo")
    assert visibility.sees_every_owner(fresh(alone))
    UserFactory(username="second")
    assert not visibility.sees_every_owner(fresh(alone))
    assert visibility.visible_owner_ids(fresh(alone)) == {alone.pk}
