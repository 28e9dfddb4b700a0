from __future__ import annotations

import pytest

from pawpay.platform.crypto import DecryptionFailed, blind_index, mask, open_sealed, seal

pytestmark = pytest.mark.unit

SECRET = "unit-test-secret-key-0123456789"


def test_seal_round_trip_and_randomised() -> None:
    a = seal("app-secret-xyz", context="tenant:1:payments", secret=SECRET)
    b = seal("app-secret-xyz", context="tenant:1:payments", secret=SECRET)
    assert a != b, "a fresh nonce every time"
    assert "app-secret-xyz" not in a
    assert open_sealed(a, context="tenant:1:payments", secret=SECRET) == "app-secret-xyz"


@pytest.mark.parametrize(
    ("context", "secret"),
    [("tenant:2:payments", SECRET), ("tenant:1:payments", "another-secret-key-0123456789")],
)
def test_wrong_context_or_key_refuses(context: str, secret: str) -> None:
    sealed = seal("app-secret-xyz", context="tenant:1:payments", secret=SECRET)
    with pytest.raises(DecryptionFailed):
        open_sealed(sealed, context=context, secret=secret)


def test_tampering_is_detected() -> None:
    sealed = seal("app-secret-xyz", context="c", secret=SECRET)
    body = sealed.split(".", 1)[1]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(DecryptionFailed):
        open_sealed(f"v1.{flipped}", context="c", secret=SECRET)
    with pytest.raises(DecryptionFailed):
        open_sealed("v0.abc", context="c", secret=SECRET)


def test_blind_index_is_stable_keyed_and_per_purpose() -> None:
    phone = "13812345678"
    assert blind_index(phone, purpose="phone", secret=SECRET) == blind_index(phone, purpose="phone", secret=SECRET)
    assert blind_index(phone, purpose="phone", secret=SECRET) != blind_index(phone, purpose="id", secret=SECRET)
    assert blind_index(phone, purpose="phone", secret=SECRET) != blind_index(
        phone, purpose="phone", secret="another-secret-key-0123456789"
    )


@pytest.mark.parametrize(("value", "shown"), [("13812345678", "138****5678"), ("1234", "****")])
def test_mask(value: str, shown: str) -> None:
    assert mask(value) == shown
