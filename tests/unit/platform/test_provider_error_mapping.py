"""Provider faults and invalid provider settings map onto pawpay's one error model."""

from __future__ import annotations

import pytest

from pawpay.platform.hooks import ProviderError
from pawpay.platform.hooks.registry import ConfigFieldError, ProviderConfigInvalid
from pawpay.platform.web.errors import error_body

pytestmark = pytest.mark.unit


def test_provider_error_is_502_with_the_vendor_code() -> None:
    status, body = error_body(ProviderError("vendor 500", code="SYSTEMERROR", retryable=True))
    assert status == 502
    assert body["code"] == "PROVIDER_ERROR"
    assert body["data"] == {"provider_code": "SYSTEMERROR", "retryable": True}


def test_invalid_provider_config_is_422_with_field_errors() -> None:
    exc = ProviderConfigInvalid("payments", "sandbox", (ConfigFieldError("api_key", "missing", "Field required"),))
    status, body = error_body(exc)
    assert status == 422
    assert body["code"] == "VALIDATION_FAILED"
    assert body["data"]["errors"] == [{"field": "api_key", "message": "Field required", "type": "missing"}]
