"""Who sees what. One rule, used by every list, card, search, export and API response.

Salespeople see what they and their team mates own; managers see the members of the
teams they manage or belong to; administrators see everything.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

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
    # One query: the members of the teams the user belongs to (or, for a manager, manages).
    teams = Q(members=user) | Q(managers=user) if user.is_manager else Q(members=user)
    team_ids = Team.objects.filter(teams).values("id")
    ids = set(Team.members.through.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True))
    ids.add(user.pk)
    user._visible_owner_ids = ids  # type: ignore[attr-defined]
    return ids


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
