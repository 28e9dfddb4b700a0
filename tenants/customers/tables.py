"""Customers, their pets and the messages sent to them. Tenant tables.

Personal data (name, phone, resident ID number, address) is sealed (``pawpay.platform.crypto.seal``,
bound to the store and the column); lookups go through keyed hashes (``*_index``), and the masked
forms are stored next to them so lists never open a sealed value.
"""

from __future__ import annotations

from piccolo.columns import JSONB, Date, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class Customer(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    name_sealed = Text()
    name_masked = Varchar(length=64)
    phone_sealed = Text()
    phone_index = Varchar(length=64)
    phone_masked = Varchar(length=32)
    id_number_sealed = Text()
    id_number_index = Varchar(length=64)
    id_number_masked = Varchar(length=32)
    region = Varchar(length=100, default="")
    address_sealed = Text(default="")
    tags = JSONB(default=[])
    wechat_openid = Varchar(length=128, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()

    customer_uq_tenant_id_number = Unique([tenant_id, id_number_index])
    customer_uq_tenant_id = Unique([tenant_id, id])


class Pet(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    customer_id = UUID(default=None, null=False)
    name = Varchar(length=100)
    species = Varchar(length=8)  # cat | dog
    breed = Varchar(length=100, default="")
    birthday = Date()
    adoption_date = Date(null=True, default=None)
    health_notes = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()

    pet_uq_tenant_id = Unique([tenant_id, id])


class CustomerMessage(Table):
    """One message sent (or attempted) to a customer: what, through which channel, and the outcome."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    customer_id = UUID(default=None, null=False)
    contract_id = UUID(null=True, default=None)
    channel = Varchar(length=16)  # sms | mini_program
    template = Varchar(length=64)
    body = Text(default="")
    status = Varchar(length=16)  # ProviderStatus value
    provider_reference = Varchar(length=255, default="")
    error_code = Varchar(length=64, default="")
    # The provider message id (``<key>-sms``): one log row per message, however often it is re-sent.
    message_key = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()
