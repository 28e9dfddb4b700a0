"""Registers the advances component."""

from __future__ import annotations

import uuid
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from pawpay.platform.hooks.types import ContractSigned


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.advances.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.advances.controllers import AdvancesController, OpsAdvancesController

    return [AdvancesController, OpsAdvancesController]


@hookimpl
def pawpay_contract_signed(tenant_id: str, contract: ContractSigned) -> Coroutine[Any, Any, Any]:
    """Request the contract's advance where the store's pinned terms allow it. Returns the work as
    an awaitable: the contracts domain awaits its listeners after the signing committed."""
    from pawpay.platform.advances.services import on_contract_signed

    return on_contract_signed(uuid.UUID(tenant_id), contract.contract_no, contract.total_fen, contract.terms_version,
                              contract.periods, contract.first_due_on)
