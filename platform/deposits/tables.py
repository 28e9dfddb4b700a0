"""Deposits' tables: each store's deposit target and the history of its changes and movements."""

from __future__ import annotations

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class DepositAccount(Table):
    """A store's deposit target: ``ratio_bp`` x the monthly fulfilment amount."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    monthly_fulfilment_fen = BigInt(default=0)
    ratio_bp = Integer(default=0)
    target_fen = BigInt(default=0)
    updated_at = Timestamptz()

    deposit_account_uq_tenant = Unique([tenant_id])


class DepositEvent(Table):
    """History: target changes, withholdings and releases (append-only)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    kind = Varchar(length=24)  # target_changed | withheld | released
    amount_fen = BigInt(default=0)
    target_fen = BigInt(default=0)
    monthly_fulfilment_fen = BigInt(default=0)
    ratio_bp = Integer(default=0)
    rule = Varchar(length=32, default="")
    reason = Text(default="")
    reference = Varchar(length=128, default="")
    actor = Varchar(length=255, default="")
    created_at = Timestamptz()
