"""Registers the advances component."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

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
def pawpay_contract_signed(tenant_id: str, contract: ContractSigned) -> None:
    """Request the contract's advance in the background where the store's pinned terms allow it."""
    from pawpay.platform.advances.services import schedule_contract_signed

    schedule_contract_signed(uuid.UUID(tenant_id), contract.contract_no, contract.total_fen, contract.terms_version,
                             contract.periods, contract.first_due_on)
