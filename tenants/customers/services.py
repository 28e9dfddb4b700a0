"""Customers and pets of a store, and the messages sent to them.

Personal data is sealed at rest (bound to the store and the field), found by keyed hash and
shown masked: :class:`CustomerView` never carries a clear name, phone or ID number. The one
function that opens them, :func:`contact`, is for the signing flow and the messages only.

The blind indexes are keyed per purpose but *not* per store, so the same ID number or phone can be
recognised across stores (an anti-fraud signal of the signing flow) without storing it in clear.

Usage::

    from pawpay.tenants.customers import services as customers

    view = await customers.upsert_customer(ctx, name="张三", phone="13912345678",
                                           id_number="11010519491231002X", region="上海市")
    pet = await customers.add_pet(ctx, view.id, name="咪咪", species="cat", breed="英短",
                                  birthday=date(2026, 3, 1), adoption_date=date(2026, 6, 1))
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from asyncpg.exceptions import UniqueViolationError

from pawpay.platform.audit.services import AuditFilter, AuditView, list_entries, record
from pawpay.platform.clock import utcnow
from pawpay.platform.crypto import blind_index, open_sealed, seal
from pawpay.platform.errors import Conflict, NotFound, ValidationFailed
from pawpay.platform.hooks import MiniProgramMessage, ProviderResult, ProviderStatus, SmsMessage
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.customers import rules
from pawpay.tenants.customers.errors import CustomerErrorCode, code
from pawpay.tenants.customers.tables import Customer, CustomerMessage, Pet

log = logging.getLogger(__name__)

PHONE_INDEX = "customer-phone"
ID_NUMBER_INDEX = "customer-id-number"


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: uuid.UUID
    name_masked: str
    phone_masked: str
    id_number_masked: str
    region: str
    tags: list[str]
    has_openid: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerContact:
    """A customer's personal data in clear: for the signing flow and messages only; never log it."""

    customer_id: uuid.UUID
    name: str
    phone: str
    id_number: str
    address: str
    wechat_openid: str


@dataclass(frozen=True, slots=True)
class PetView:
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    species: str
    breed: str
    birthday: date
    adoption_date: date | None
    health_notes: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MessageView:
    id: uuid.UUID
    customer_id: uuid.UUID
    contract_id: uuid.UUID | None
    channel: str
    template: str
    body: str
    status: str
    provider_reference: str
    error_code: str
    created_at: datetime


def _ctx_seal(ctx: TenantContext, field: str) -> str:
    return f"tenant:{ctx.tenant_id}:customer:{field}"


def phone_index(phone: str) -> str:
    """The keyed hash a phone number is found by (normalised first)."""
    return blind_index(rules.normalise_phone(phone), purpose=PHONE_INDEX)


def id_number_index(id_number: str) -> str:
    """The keyed hash a resident ID number is found by (validated and normalised first)."""
    return blind_index(rules.normalise_id_number(id_number), purpose=ID_NUMBER_INDEX)


async def store_today(ctx: TenantContext) -> date:
    """Today in the store's time zone, on the store's (test) clock."""
    tenant = await get_own_tenant(ctx)
    return (await tenant_now(ctx)).astimezone(ZoneInfo(tenant.time_zone)).date()


_CUSTOMER_COLUMNS = (Customer.id, Customer.name_masked, Customer.phone_masked, Customer.id_number_masked,
                     Customer.region, Customer.tags, Customer.wechat_openid, Customer.created_at, Customer.updated_at)


def _customer_view(row: dict[str, Any]) -> CustomerView:
    tags = row["tags"]
    if isinstance(tags, str):
        import json

        tags = json.loads(tags)
    return CustomerView(id=row["id"], name_masked=row["name_masked"], phone_masked=row["phone_masked"],
                        id_number_masked=row["id_number_masked"], region=row["region"], tags=list(tags or []),
                        has_openid=bool(row["wechat_openid"]), created_at=row["created_at"],
                        updated_at=row["updated_at"])


async def upsert_customer(
    ctx: TenantContext,
    *,
    name: str,
    phone: str,
    id_number: str,
    region: str = "",
    address: str = "",
    tags: list[str] | None = None,
    wechat_openid: str | None = None,
) -> CustomerView:
    """Create the customer holding ``id_number`` in this store, or update them (found by the ID's keyed hash).

    Raises:
        ValidationFailed: an invalid name, phone (``field="phone"``) or ID number (``field="id_number"``,
            code ``CUSTOMER_INVALID_ID_NUMBER``), or a birth date in the future.
    """
    clean_name = rules.normalise_name(name)
    clean_phone = rules.normalise_phone(phone)
    clean_id = rules.normalise_id_number(id_number)
    today = await store_today(ctx)
    if rules.birth_date(clean_id) > today:
        raise ValidationFailed("the birth date in the ID number is in the future", field="id_number",
                               code=code(CustomerErrorCode.CUSTOMER_BIRTHDAY_IN_FUTURE))
    clean_tags = rules.normalise_tags(tags) if tags is not None else None
    region = " ".join((region or "").split())[:100]
    address = (address or "").strip()[:500]
    id_index = blind_index(clean_id, purpose=ID_NUMBER_INDEX)
    now = utcnow()
    values: dict[Any, Any] = {
        Customer.name_sealed: seal(clean_name, context=_ctx_seal(ctx, "name")),
        Customer.name_masked: rules.mask_name(clean_name),
        Customer.phone_sealed: seal(clean_phone, context=_ctx_seal(ctx, "phone")),
        Customer.phone_index: blind_index(clean_phone, purpose=PHONE_INDEX),
        Customer.phone_masked: rules.mask_phone(clean_phone),
        Customer.region: region,
        Customer.address_sealed: seal(address, context=_ctx_seal(ctx, "address")) if address else "",
        Customer.updated_at: now,
    }
    if clean_tags is not None:
        values[Customer.tags] = clean_tags
    if wechat_openid is not None:
        values[Customer.wechat_openid] = wechat_openid.strip()[:128]
    async with tenant_scope(ctx):
        existing = await Customer.select(Customer.id, Customer.region, Customer.tags).where(
            (Customer.tenant_id == ctx.tenant_id) & (Customer.id_number_index == id_index)
        ).first()
        if existing is not None:
            await Customer.update(values).where(
                (Customer.tenant_id == ctx.tenant_id) & (Customer.id == existing["id"]))
            customer_id = existing["id"]
            action = "customer.updated"
        else:
            customer_id = uuid.uuid4()
            row = Customer(
                id=customer_id, tenant_id=ctx.tenant_id, id_number_sealed=seal(clean_id, context=_ctx_seal(ctx, "id")),
                id_number_index=id_index, id_number_masked=rules.mask_id_number(clean_id),
                created_at=now,
                **{col._meta.name: value for col, value in values.items()
                   if col._meta.name not in ("tags", "wechat_openid")},
                tags=clean_tags or [], wechat_openid=(wechat_openid or "").strip()[:128],
            )
            try:
                await Customer.insert(row)
            except UniqueViolationError:
                raise Conflict("this customer is being created by another request; try again") from None
            action = "customer.created"
        view = await _get(ctx, customer_id)
        # Never the clear values in the audit log: masked forms only.
        await record(ctx, action, target_type="customer", target_id=str(customer_id),
                     after={"name": view.name_masked, "phone": view.phone_masked, "id_number": view.id_number_masked,
                            "region": view.region, "tags": view.tags})
    return view


async def _get(ctx: TenantContext, customer_id: uuid.UUID) -> CustomerView:
    row = await Customer.select(*_CUSTOMER_COLUMNS).where(
        (Customer.tenant_id == ctx.tenant_id) & (Customer.id == customer_id)
    ).first()
    if row is None:
        raise NotFound("customer not found")  # the same answer for another store's customer
    return _customer_view(row)


async def get_customer(ctx: TenantContext, customer_id: uuid.UUID) -> CustomerView:
    async with tenant_scope(ctx):
        return await _get(ctx, customer_id)


async def find_by_phone(ctx: TenantContext, phone: str) -> CustomerView | None:
    """The store's most recently updated customer with this phone number, or ``None``."""
    index = phone_index(phone)
    async with tenant_scope(ctx):
        row = await Customer.select(*_CUSTOMER_COLUMNS).where(
            (Customer.tenant_id == ctx.tenant_id) & (Customer.phone_index == index)
        ).order_by(Customer.updated_at, ascending=False).first()
    return _customer_view(row) if row else None


async def find_by_id_number(ctx: TenantContext, id_number: str) -> CustomerView | None:
    index = id_number_index(id_number)
    async with tenant_scope(ctx):
        row = await Customer.select(*_CUSTOMER_COLUMNS).where(
            (Customer.tenant_id == ctx.tenant_id) & (Customer.id_number_index == index)
        ).first()
    return _customer_view(row) if row else None


async def list_customers(
    ctx: TenantContext, *, search: str = "", tag: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[CustomerView], int]:
    """The store's customers, newest first, with the total count.

    ``search``: a full 11-digit phone or 18-character ID number (exact, by keyed hash), 4 digits
    (the phone's last four), or the start of the masked name (its first character, e.g. ``张``).
    ``tag``: customers carrying that tag.
    """
    where = "tenant_id = {}"
    args: list[Any] = [ctx.tenant_id]
    text = (search or "").strip()
    if text:
        digits = text.replace(" ", "")
        if len(digits) == 11 and digits.isdigit():
            where += " AND phone_index = {}"
            args.append(phone_index(digits))
        elif len(digits) == 18:
            try:
                args.append(id_number_index(digits))
                where += " AND id_number_index = {}"
            except ValidationFailed:
                where += " AND FALSE"
        elif len(digits) == 4 and digits.isdigit():
            where += " AND right(phone_masked, 4) = {}"
            args.append(digits)
        else:
            where += " AND name_masked LIKE {}"
            args.append(text[0].replace("%", "\\%").replace("_", "\\_") + "%")
    if tag:
        where += " AND tags @> {}::jsonb"
        import json

        args.append(json.dumps([tag]))
    cols = ", ".join(c._meta.name for c in _CUSTOMER_COLUMNS)
    async with tenant_scope(ctx):
        total = await Customer.raw(f"SELECT COUNT(*) AS n FROM customer WHERE {where}", *args)
        rows = await Customer.raw(
            f"SELECT {cols} FROM customer WHERE {where} ORDER BY created_at DESC, id LIMIT {{}} OFFSET {{}}",
            *args, limit, offset,
        )
    return [_customer_view(r) for r in rows], int(total[0]["n"])


async def contact(ctx: TenantContext, customer_id: uuid.UUID) -> CustomerContact:
    """The customer's personal data in clear (signing flow, messages). Never log or render it."""
    async with tenant_scope(ctx):
        row = await Customer.select(
            Customer.id, Customer.name_sealed, Customer.phone_sealed, Customer.id_number_sealed,
            Customer.address_sealed, Customer.wechat_openid,
        ).where((Customer.tenant_id == ctx.tenant_id) & (Customer.id == customer_id)).first()
    if row is None:
        raise NotFound("customer not found")
    return CustomerContact(
        customer_id=row["id"],
        name=open_sealed(row["name_sealed"], context=_ctx_seal(ctx, "name")),
        phone=open_sealed(row["phone_sealed"], context=_ctx_seal(ctx, "phone")),
        id_number=open_sealed(row["id_number_sealed"], context=_ctx_seal(ctx, "id")),
        address=open_sealed(row["address_sealed"], context=_ctx_seal(ctx, "address")) if row["address_sealed"] else "",
        wechat_openid=row["wechat_openid"],
    )


async def age_of(ctx: TenantContext, customer_id: uuid.UUID, day: date | None = None) -> int:
    """The customer's age in full years on ``day`` (default: today in the store), from the ID number."""
    person = await contact(ctx, customer_id)
    return rules.age_on(person.id_number, day or await store_today(ctx))


async def set_tags(ctx: TenantContext, customer_id: uuid.UUID, tags: list[str]) -> CustomerView:
    clean = rules.normalise_tags(tags)
    async with tenant_scope(ctx):
        before = await _get(ctx, customer_id)
        await Customer.update({Customer.tags: clean, Customer.updated_at: utcnow()}).where(
            (Customer.tenant_id == ctx.tenant_id) & (Customer.id == customer_id))
        await record(ctx, "customer.tags_set", target_type="customer", target_id=str(customer_id),
                     before={"tags": before.tags}, after={"tags": clean})
        return await _get(ctx, customer_id)


# --- pets -----------------------------------------------------------------------------------------

_PET_COLUMNS = (Pet.id, Pet.customer_id, Pet.name, Pet.species, Pet.breed, Pet.birthday, Pet.adoption_date,
                Pet.health_notes, Pet.created_at)


def _pet_view(row: dict[str, Any]) -> PetView:
    return PetView(**{c._meta.name: row[c._meta.name] for c in _PET_COLUMNS})


async def add_pet(
    ctx: TenantContext,
    customer_id: uuid.UUID,
    *,
    name: str,
    species: str,
    birthday: date,
    breed: str = "",
    adoption_date: date | None = None,
    health_notes: str = "",
) -> PetView:
    """Add a pet to the customer.

    Raises:
        ValidationFailed: species not cat/dog; birthday in the future (store time) or after the
            adoption date (``field="birthday"``); an empty name.
        NotFound: no such customer in this store.
    """
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ValidationFailed("the pet needs a name", field="name")
    rules.check_pet(species, birthday, adoption_date, await store_today(ctx))
    now = utcnow()
    pet_id = uuid.uuid4()
    async with tenant_scope(ctx):
        await _get(ctx, customer_id)
        await Pet.insert(Pet(id=pet_id, tenant_id=ctx.tenant_id, customer_id=customer_id, name=name, species=species,
                             breed=(breed or "").strip()[:100], birthday=birthday, adoption_date=adoption_date,
                             health_notes=(health_notes or "").strip()[:2000], created_at=now, updated_at=now))
        await record(ctx, "customer.pet_added", target_type="customer", target_id=str(customer_id),
                     after={"pet_id": str(pet_id), "name": name, "species": species, "breed": breed,
                            "birthday": birthday.isoformat(),
                            "adoption_date": adoption_date.isoformat() if adoption_date else None})
        return await _get_pet(ctx, pet_id)


async def update_pet(
    ctx: TenantContext,
    pet_id: uuid.UUID,
    *,
    name: str,
    species: str,
    birthday: date,
    breed: str = "",
    adoption_date: date | None = None,
    health_notes: str = "",
) -> PetView:
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ValidationFailed("the pet needs a name", field="name")
    rules.check_pet(species, birthday, adoption_date, await store_today(ctx))
    async with tenant_scope(ctx):
        before = await _get_pet(ctx, pet_id)
        await Pet.update({Pet.name: name, Pet.species: species, Pet.breed: (breed or "").strip()[:100],
                          Pet.birthday: birthday, Pet.adoption_date: adoption_date,
                          Pet.health_notes: (health_notes or "").strip()[:2000], Pet.updated_at: utcnow()}).where(
            (Pet.tenant_id == ctx.tenant_id) & (Pet.id == pet_id))
        await record(ctx, "customer.pet_updated", target_type="customer", target_id=str(before.customer_id),
                     before={"pet_id": str(pet_id), "birthday": before.birthday.isoformat(), "name": before.name},
                     after={"pet_id": str(pet_id), "birthday": birthday.isoformat(), "name": name})
        return await _get_pet(ctx, pet_id)


async def _get_pet(ctx: TenantContext, pet_id: uuid.UUID) -> PetView:
    row = await Pet.select(*_PET_COLUMNS).where((Pet.tenant_id == ctx.tenant_id) & (Pet.id == pet_id)).first()
    if row is None:
        raise NotFound("pet not found")
    return _pet_view(row)


async def get_pet(ctx: TenantContext, pet_id: uuid.UUID) -> PetView:
    async with tenant_scope(ctx):
        return await _get_pet(ctx, pet_id)


async def list_pets(ctx: TenantContext, customer_id: uuid.UUID) -> list[PetView]:
    async with tenant_scope(ctx):
        await _get(ctx, customer_id)
        rows = await Pet.select(*_PET_COLUMNS).where(
            (Pet.tenant_id == ctx.tenant_id) & (Pet.customer_id == customer_id)).order_by(Pet.created_at)
    return [_pet_view(r) for r in rows]


# --- messages -------------------------------------------------------------------------------------

_MESSAGE_COLUMNS = (CustomerMessage.id, CustomerMessage.customer_id, CustomerMessage.contract_id,
                    CustomerMessage.channel, CustomerMessage.template, CustomerMessage.body, CustomerMessage.status,
                    CustomerMessage.provider_reference, CustomerMessage.error_code, CustomerMessage.created_at)


async def record_message(
    ctx: TenantContext,
    customer_id: uuid.UUID,
    channel: str,
    template: str,
    body: str,
    provider_result: ProviderResult | None,
    *,
    contract_id: uuid.UUID | None = None,
    message_key: str | None = None,
) -> MessageView:
    """Store a message sent (or attempted) to the customer with the provider's outcome.

    ``provider_result`` ``None`` means the provider could not be called at all (status ``error``).
    ``message_key`` (the provider message id): the log keeps one row per key, updated with the
    latest outcome, so a message re-sent by a retried job is not logged twice.
    """
    if channel not in rules.CHANNELS:
        raise ValidationFailed("the channel is sms or mini_program", field="channel",
                               code=code(CustomerErrorCode.MESSAGE_INVALID_CHANNEL))
    status = provider_result.status.value if provider_result is not None else "error"
    reference = (provider_result.provider_reference or "") if provider_result is not None else ""
    error = (provider_result.error_code or "") if provider_result is not None else "PROVIDER_UNAVAILABLE"
    message_id = uuid.uuid4()
    async with tenant_scope(ctx):
        await _get(ctx, customer_id)
        if message_key:
            rows = await CustomerMessage.raw(
                "INSERT INTO customer_message (id, tenant_id, customer_id, contract_id, channel, template, body, "
                "status, provider_reference, error_code, message_key, created_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
                "ON CONFLICT (tenant_id, message_key) WHERE message_key IS NOT NULL DO UPDATE SET "
                "status = EXCLUDED.status, provider_reference = EXCLUDED.provider_reference, "
                "error_code = EXCLUDED.error_code RETURNING id",
                message_id, ctx.tenant_id, customer_id, contract_id, channel, template[:64], body[:2000],
                status[:16], reference[:255], error[:64], message_key[:200], utcnow())
            message_id = rows[0]["id"]
        else:
            await CustomerMessage.insert(CustomerMessage(
                id=message_id, tenant_id=ctx.tenant_id, customer_id=customer_id, contract_id=contract_id,
                channel=channel, template=template[:64], body=body[:2000], status=status[:16],
                provider_reference=reference[:255], error_code=error[:64], created_at=utcnow()))
        row = await CustomerMessage.select(*_MESSAGE_COLUMNS).where(
            (CustomerMessage.tenant_id == ctx.tenant_id) & (CustomerMessage.id == message_id)).first()
    assert row is not None
    return MessageView(**row)


async def list_messages(ctx: TenantContext, customer_id: uuid.UUID, *, limit: int = 100) -> list[MessageView]:
    async with tenant_scope(ctx):
        await _get(ctx, customer_id)
        rows = await CustomerMessage.select(*_MESSAGE_COLUMNS).where(
            (CustomerMessage.tenant_id == ctx.tenant_id) & (CustomerMessage.customer_id == customer_id)
        ).order_by(CustomerMessage.created_at, ascending=False).limit(limit)
    return [MessageView(**r) for r in rows]


async def history(ctx: TenantContext, customer_id: uuid.UUID, *, limit: int = 50) -> list[AuditView]:
    """The customer's audit trail (created, updated, pets, tags), newest first."""
    await get_customer(ctx, customer_id)
    entries, _ = await list_entries(ctx, AuditFilter(target_type="customer", target_id=str(customer_id)), limit=limit)
    return entries


async def send_message(ctx: TenantContext, customer_id: uuid.UUID, *, key: str, sms_template: str, mp_template: str,
                       body: str, params: dict[str, str], page: str,
                       contract_id: uuid.UUID | None = None) -> dict[str, str]:
    """Message a customer: SMS, plus a mini-program message when they have an openid, through the
    store's notifier; each send is stored in the customer's message log (``record_message``).

    ``key`` makes the provider message ids (``<key>-sms``, ``<key>-mp``): the same key is the same
    message at the provider. Returns ``{channel: status}`` (``succeeded``/``pending`` = accepted,
    ``failed:<code>``, ``error``). Never raises: a message is never the reason a money step fails."""
    from pawpay.platform.providers.services import guarded_provider_for

    outcomes: dict[str, str] = {}
    try:
        async with tenant_scope(ctx):
            person = await contact(ctx, customer_id)
            provider, pctx = await guarded_provider_for(ctx, "notifications")
    except Exception as exc:
        log.warning("customer message: no notifier or contact", extra={"error": type(exc).__name__})
        return {"sms": "error"}
    message_ids = {"sms": f"{key}-sms", "mini_program": f"{key}-mp"}
    sends: list[tuple[str, str, Any]] = [("sms", sms_template, SmsMessage(
        message_id=message_ids["sms"], phone=person.phone, template_code=sms_template, params=params))]
    if person.wechat_openid:
        sends.append(("mini_program", mp_template, MiniProgramMessage(
            message_id=message_ids["mini_program"], openid=person.wechat_openid, template_id=mp_template,
            data=params, page=page)))
    results: list[tuple[str, str, ProviderResult | None]] = []
    for channel, template, message in sends:
        result: ProviderResult | None = None
        try:
            if channel == "sms":
                result = await provider.send_sms(pctx, message)
            else:
                result = await provider.send_mini_program_message(pctx, message)
        except Exception as exc:
            log.warning("customer message failed", extra={"channel": channel, "error": type(exc).__name__})
        outcomes[channel] = result.status.value if result is not None else "error"
        if result is not None and result.status is ProviderStatus.FAILED:
            outcomes[channel] = f"failed:{result.error_code}"
        results.append((channel, template, result))
    try:
        async with tenant_scope(ctx):
            for channel, template, result in results:
                await record_message(ctx, customer_id, channel, template, body, result,
                                     contract_id=contract_id, message_key=message_ids[channel])
    except Exception:
        log.exception("customer message could not be stored")
    return outcomes
