"""Request ids: a caller's sane id is kept, anything else replaced (it lands in logs and audit)."""

from __future__ import annotations

import pytest

from pawpay.platform.web.middleware import _same_token, request_id_for

pytestmark = pytest.mark.unit


def _scope(value: bytes | None) -> dict[str, object]:
    return {"headers": [(b"x-request-id", value)] if value is not None else []}


def test_a_valid_incoming_id_is_kept() -> None:
    assert request_id_for(_scope(b"abc-123_X.y")) == "abc-123_X.y"  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, b"", b"has space", b"x" * 65, b"<script>", "naïve".encode()])
def test_an_invalid_or_missing_id_is_replaced(value: bytes | None) -> None:
    new = request_id_for(_scope(value))  # type: ignore[arg-type]
    assert new != (value or b"").decode("latin-1")
    assert len(new) == 32
    assert new.isalnum()


def test_csrf_token_comparison_survives_any_input() -> None:
    assert _same_token("abc", "abc")
    assert not _same_token("abd", "abc")
    assert not _same_token(None, "abc")
    assert not _same_token("", "")
    assert not _same_token("ümlaut", "abc")  # non-ASCII must not raise
