"""Writes to accounts: creating users with their region memberships."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.regions.models import Region


@transaction.atomic
def user_create(
    *, username: str, password: str, memberships: Iterable[tuple[str, str]], display_name: str = "",
    actor=None, validate_password: bool = True,
) -> User:
    """Create a user holding the given (region code, role) memberships."""
    memberships = list(memberships)
    errors: dict[str, list[str]] = {}
    for code, role in memberships:
        if role not in Role.values:
            errors.setdefault("role", []).append(f"unknown role {role!r}")
        if not Region.objects.filter(code=code).exists():
            errors.setdefault("region", []).append(f"unknown region {code!r}")
    if User.objects.filter(username=username).exists():
        errors.setdefault("username", []).append("a user with this name exists")
    user = User(username=username, display_name=display_name)
    if validate_password:
        from django.contrib.auth.password_validation import validate_password as check

        try:
            check(password, user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    for code, role in memberships:
        Membership.objects.create(user=user, region_id=code, role=role)
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=user,
        region_code=memberships[0][0] if memberships else "",
        detail={"memberships": [list(m) for m in memberships]},
    )
    return user
