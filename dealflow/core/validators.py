from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PHONE_ALLOWED = re.compile(r"^\+?[0-9 ()./-]+$")


def validate_phone(value: str) -> None:
    """A phone number: digits with the usual separators, 6 to 20 digits, optional leading +."""
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_ALLOWED.match(value) or not 6 <= digits <= 20:
        raise ValidationError(_("Enter a valid phone number, for example +31 20 123 4567."), code="invalid_phone")


def validate_not_blank(value: str) -> None:
    if not value or not value.strip():
        raise ValidationError(_("This field cannot be blank."), code="blank")
