"""Who sees what. One rule, used by every list, card, search, export and API response.

Salespeople see what they and their team mates own; managers see the members of the
teams they manage or belong to; administrators see everything.
"""

from __future__ import annotations

from django.db.models import F, Func, Q, QuerySet, Subquery

from .models import Team, User

# What a user's name in a menu needs (`str(user)`), for `.only()` on long lists of users.
OWNER_NAME_FIELDS = ("id", "username", "first_name", "last_name")


def visible_owner_ids(user: User) -> set[int] | None:
    """The owners whose records `user` may see, or None for "all"."""
    if user.is_admin:
        return None
    cached = getattr(user, "_visible_owner_ids", None)
    if cached is not None:
        return cached
    # One query: the user and the members of the teams they belong to (or, for a manager,
    # manage), each row with the number of users, for sees_every_owner.
    teams = Q(members=user) | Q(managers=user) if user.is_manager else Q(members=user)
    team_ids = Team.objects.filter(teams).values("id")
    members = Team.members.through.objects.filter(team_id__in=team_ids).values("user_id")
    everyone = User.objects.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    rows = User.objects.filter(Q(pk=user.pk) | Q(pk__in=members)).annotate(everyone=Subquery(everyone))
    pairs = list(rows.order_by().values_list("pk", "everyone"))
    seen = {pk for pk, _n in pairs}
    ids = seen | {user.pk}
    user._visible_owner_ids = ids  # type: ignore[attr-defined]
    user._sees_every_owner = (ids, bool(pairs) and len(seen) == pairs[0][1])  # type: ignore[attr-defined]
    return ids


def sees_every_owner(user: User) -> bool:
    """Whether the owners `user` sees are every user (as in a company with one team, or for an
    administrator): then no record can belong to someone they may not see, and the activity
    scope leaves out the checks of the linked records' owners. Answered by the same query as
    visible_owner_ids (which counts the users), once per request."""
    ids = visible_owner_ids(user)
    if ids is None:
        return True
    cached = getattr(user, "_sees_every_owner", None)  # the answer for these very ids, or none
    return cached is not None and cached[0] is ids and cached[1]


def scope_by_owner(qs: QuerySet, user: User, field: str = "owner") -> QuerySet:
    ids = visible_owner_ids(user)
    if ids is None:
        return qs
    return qs.filter(Q(**{f"{field}_id__in": ids}))


def assignable_owners(user: User) -> QuerySet[User]:
    """The users `user` may hand a record to: the same people whose records they see."""
    qs = User.objects.filter(is_active=True)
    ids = visible_owner_ids(user)
    return qs if ids is None else qs.filter(pk__in=ids)
