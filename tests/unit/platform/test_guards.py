"""Route access rules (``opt={"auth": ..., "roles": ...}``) decided without a database."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from litestar import get

from pawpay.platform.errors import NotAuthenticated, PermissionDenied
from pawpay.platform.identity.principal import Principal
from pawpay.platform.web.guards import access_guard, access_mode

pytestmark = pytest.mark.unit

STORE = uuid.uuid4()
MANAGER = Principal(kind="staff", account_id=uuid.uuid4(), tenant_id=STORE, roles=frozenset({"manager"}),
                    label="m@x.test")
FRONT_DESK = Principal(kind="staff", account_id=uuid.uuid4(), tenant_id=STORE, roles=frozenset({"front_desk"}),
                       label="f@x.test")
OPERATOR = Principal(kind="operator", account_id=uuid.uuid4(), tenant_id=None, roles=frozenset({"admin"}),
                     label="o@x.test")


def _handler(opt: dict[str, Any]) -> Any:
    @get("/x", opt=opt, sync_to_thread=False)
    def handler() -> None:
        return None

    return handler


def _connection(principal: Principal | None) -> Any:
    return SimpleNamespace(scope={"path": "/x", "user": principal})


def test_a_handler_without_auth_has_no_access_mode() -> None:
    assert access_mode(_handler({}), "/x") is None
    assert access_mode(_handler({"auth": "everyone"}), "/x") is None
    assert access_mode(_handler({"auth": "tenant"}), "/x") == "tenant"


def test_public_routes_let_anyone_in() -> None:
    access_guard(_connection(None), _handler({"auth": "public"}))


@pytest.mark.parametrize("mode", ["tenant", "platform", "any"])
def test_signed_out_callers_are_not_authenticated(mode: str) -> None:
    with pytest.raises(NotAuthenticated):
        access_guard(_connection(None), _handler({"auth": mode}))


def test_operators_cannot_use_store_routes_and_staff_cannot_use_operator_routes() -> None:
    with pytest.raises(PermissionDenied):
        access_guard(_connection(OPERATOR), _handler({"auth": "tenant"}))
    with pytest.raises(PermissionDenied):
        access_guard(_connection(MANAGER), _handler({"auth": "platform"}))
    access_guard(_connection(MANAGER), _handler({"auth": "tenant"}))
    access_guard(_connection(OPERATOR), _handler({"auth": "platform"}))


def test_roles_are_required_when_declared() -> None:
    handler = _handler({"auth": "tenant", "roles": {"manager"}})
    access_guard(_connection(MANAGER), handler)
    with pytest.raises(PermissionDenied) as excinfo:
        access_guard(_connection(FRONT_DESK), handler)
    assert excinfo.value.data["required_roles"] == ["manager"]


def test_only_public_routes_may_run_without_the_request_transaction() -> None:
    from litestar import Litestar

    from pawpay.platform.web.app import RouteWithoutAccessRule, check_access_rules

    @get("/public", opt={"auth": "public", "transaction": False}, sync_to_thread=False)
    def public() -> None:
        return None

    @get("/private", opt={"auth": "tenant", "transaction": False}, sync_to_thread=False)
    def private() -> None:
        return None

    check_access_rules(Litestar(route_handlers=[public], openapi_config=None))
    with pytest.raises(RouteWithoutAccessRule, match="/private"):
        check_access_rules(Litestar(route_handlers=[public, private], openapi_config=None))
