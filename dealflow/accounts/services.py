"""Writes for users, teams, preferences and API tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from dealflow.audit.services import audit_record

from .models import ApiToken, Team, User, hash_token


@transaction.atomic
def user_create(*, actor: User | None, data: dict[str, Any], password: str | None, teams: list[Team] = ()) -> User:  # type: ignore[assignment]
    user = User(**data)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.teams.set(teams)
    audit_record(actor=actor, action="create", instance=user, changes={"username": [None, user.username]})
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict[str, Any], teams: list[Team] | None = None) -> User:
    changes = {k: [str(getattr(user, k)), str(v)] for k, v in data.items() if getattr(user, k) != v}
    for key, value in data.items():
        setattr(user, key, value)
    user.full_clean(exclude=["password"])
    user.save()
    if teams is not None:
        user.teams.set(teams)
    if changes:
        audit_record(actor=actor, action="update", instance=user, changes=changes)
    return user


@transaction.atomic
def user_set_preferences(*, user: User, language: str, preferences: dict[str, Any]) -> User:
    user.language = language
    user.preferences = {**(user.preferences or {}), **preferences}
    user.save(update_fields=["language", "preferences"])
    return user


@transaction.atomic
def team_save(*, actor: User, team: Team | None, name: str, members: list[User], managers: list[User]) -> Team:
    team = team or Team()
    action = "update" if team.pk else "create"
    team.name = name
    team.full_clean()
    team.save()
    team.members.set(members)
    team.managers.set(managers)
    audit_record(
        actor=actor,
        action=action,
        instance=team,
        changes={"members": [None, [str(m) for m in members]], "managers": [None, [str(m) for m in managers]]},
    )
    return team


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token. The raw value is returned once and never stored."""
    raw = ApiToken.generate_raw()
    token = ApiToken(user=user, name=name.strip(), key_hash=hash_token(raw), hint=raw[:8])
    token.full_clean()
    token.save()
    audit_record(actor=user, action="create", instance=token)
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action="other", instance=token, message="revoked")


def api_token_authenticate(raw: str) -> User | None:
    if not raw.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    token.mark_used()
    return token.user
