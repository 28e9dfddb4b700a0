"""The roles pawpay knows. Labels are English source strings, translated by the UI catalogs."""

from __future__ import annotations

from typing import Final

# Store (tenant) roles.
MANAGER: Final = "manager"  # 店长/运营
FRONT_DESK: Final = "front_desk"  # 前台/销售
AFTER_SALES: Final = "after_sales"  # 售后
FINANCE: Final = "finance"  # 财务

# Operator (platform) roles.
OPS_REVIEWER: Final = "reviewer"
OPS_FINANCE: Final = "ops_finance"
OPS_ADMIN: Final = "admin"

TENANT_ROLES: Final = {
    MANAGER: "Store manager",
    FRONT_DESK: "Front desk / sales",
    AFTER_SALES: "After-sales",
    FINANCE: "Finance",
}
OPERATOR_ROLES: Final = {
    OPS_REVIEWER: "Reviewer",
    OPS_FINANCE: "Platform finance",
    OPS_ADMIN: "Administrator",
}

STAFF: Final = "staff"
OPERATOR: Final = "operator"
