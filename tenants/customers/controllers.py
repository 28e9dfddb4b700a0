"""``/api/v1/customers``: a store's customers (masked), their pets and messages."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.customers import services
from pawpay.tenants.customers.schemas import CustomerBody, CustomerOut, MessageOut, PetBody, PetOut, TagsBody

STORE_STAFF = {MANAGER, FRONT_DESK, AFTER_SALES, FINANCE}


class CustomerController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]
    opt = {"auth": "tenant", "roles": STORE_STAFF}

    @get("/", operation_id="ListCustomers")
    async def list_customers(self, ctx: TenantCtx, search: FromQuery[str] = "", tag: FromQuery[str | None] = None,
                             limit: FromQuery[int] = 50, offset: FromQuery[int] = 0) -> Page[CustomerOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_customers(ctx, search=search, tag=tag, limit=limit, offset=offset)
        return Page(items=[to_schema(v, CustomerOut) for v in views], total=total, limit=limit, offset=offset)

    @post("/", operation_id="UpsertCustomer", status_code=200, opt={"roles": {MANAGER, FRONT_DESK}})
    async def upsert(self, ctx: TenantCtx, data: JSONBody[CustomerBody]) -> CustomerOut:
        view = await services.upsert_customer(ctx, name=data.name, phone=data.phone, id_number=data.id_number,
                                              region=data.region, address=data.address, tags=data.tags,
                                              wechat_openid=data.wechat_openid)
        return to_schema(view, CustomerOut)

    @get("/{customer_id:uuid}", operation_id="GetCustomer")
    async def get_customer(self, ctx: TenantCtx, customer_id: FromPath[uuid.UUID]) -> CustomerOut:
        return to_schema(await services.get_customer(ctx, customer_id), CustomerOut)

    @put("/{customer_id:uuid}/tags", operation_id="SetCustomerTags", opt={"roles": {MANAGER, FRONT_DESK}})
    async def set_tags(self, ctx: TenantCtx, customer_id: FromPath[uuid.UUID], data: JSONBody[TagsBody]
                       ) -> CustomerOut:
        return to_schema(await services.set_tags(ctx, customer_id, data.tags), CustomerOut)

    @get("/{customer_id:uuid}/pets", operation_id="ListCustomerPets")
    async def pets(self, ctx: TenantCtx, customer_id: FromPath[uuid.UUID]) -> list[PetOut]:
        return [to_schema(v, PetOut) for v in await services.list_pets(ctx, customer_id)]

    @post("/{customer_id:uuid}/pets", operation_id="AddCustomerPet", opt={"roles": {MANAGER, FRONT_DESK}})
    async def add_pet(self, ctx: TenantCtx, customer_id: FromPath[uuid.UUID], data: JSONBody[PetBody]) -> PetOut:
        view = await services.add_pet(ctx, customer_id, name=data.name, species=data.species, birthday=data.birthday,
                                      breed=data.breed, adoption_date=data.adoption_date,
                                      health_notes=data.health_notes)
        return to_schema(view, PetOut)

    @get("/{customer_id:uuid}/messages", operation_id="ListCustomerMessages")
    async def messages(self, ctx: TenantCtx, customer_id: FromPath[uuid.UUID]) -> list[MessageOut]:
        return [to_schema(v, MessageOut) for v in await services.list_messages(ctx, customer_id)]
