"""``/api/v1/ledger``: a store's accounts with balances, and its journal entries (read-only)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from litestar.params import FromQuery

from pawpay.platform.identity.roles import FINANCE, MANAGER
from pawpay.platform.ledger import services
from pawpay.platform.ledger.schemas import AccountBalanceOut, EntryOut
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema


class LedgerController(Controller):
    path = "/api/v1/ledger"
    tags = ["ledger"]
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}

    @get("/accounts", operation_id="ListLedgerAccounts")
    async def accounts(self, ctx: TenantCtx, as_of: FromQuery[datetime | None] = None) -> list[AccountBalanceOut]:
        return [to_schema(v, AccountBalanceOut) for v in await services.balances(ctx, as_of)]

    @get("/entries", operation_id="ListLedgerEntries")
    async def entries(
        self,
        ctx: TenantCtx,
        account: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> Page[EntryOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.entries(ctx, account_code=account, since=since, until=until,
                                              limit=limit, offset=offset)
        return Page(items=[to_schema(v, EntryOut) for v in views], total=total, limit=limit, offset=offset)
