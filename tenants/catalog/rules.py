"""What a catalog entry may hold (pure functions, no database)."""

from __future__ import annotations

import re
from typing import Final

from pawpay.platform.errors import ValidationFailed

SKU_KINDS: Final = ("food", "litter", "paste", "treat", "supply")
SERVICE_KINDS: Final = ("grooming", "deworming", "vaccine", "checkup")
CODE_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_code(code: str, field: str = "code") -> str:
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationFailed("a code is 1-64 letters, digits, '.', '_' or '-'", field=field)
    return code


def check_text(value: str, field: str, *, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("this field is required", field=field)
    if len(value) > max_length:
        raise ValidationFailed("this is too long", field=field, max_length=max_length)
    return value


def check_kind(kind: str, allowed: tuple[str, ...]) -> str:
    if kind not in allowed:
        raise ValidationFailed("choose one of the allowed kinds", field="kind", allowed=list(allowed))
    return kind
