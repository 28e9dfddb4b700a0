"""Secrets never reach an audit snapshot, however deeply a caller nests them."""

from __future__ import annotations

import pytest

from pawpay.platform.audit.services import REDACTED, _like_prefix, redact

pytestmark = pytest.mark.unit


def test_secret_keys_are_redacted_at_any_depth() -> None:
    snapshot = {
        "email": "a@b.test",
        "password": "hunter2-hunter2",
        "new_password": "x",
        "api_key": "pp_abc_def",
        "config": {"merchant_id": "m1", "private_key": "-----BEGIN", "nested": [{"client_secret": "s"}]},
        "csrf_token": "t",
    }
    out = redact(snapshot)
    assert out is not None
    assert out["email"] == "a@b.test"
    assert out["config"]["merchant_id"] == "m1"
    for value in (out["password"], out["new_password"], out["api_key"], out["csrf_token"],
                  out["config"]["private_key"], out["config"]["nested"][0]["client_secret"]):
        assert value == REDACTED
    assert "hunter2" not in str(out)
    assert snapshot["password"] == "hunter2-hunter2"  # the caller's dict is not modified


def test_none_stays_none() -> None:
    assert redact(None) is None


def test_action_filter_is_a_literal_prefix() -> None:
    assert _like_prefix("account.") == "account.%"
    assert _like_prefix("api_key") == "api\\_key%"
    assert _like_prefix("100%") == "100\\%%"
