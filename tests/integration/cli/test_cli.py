"""The ``pawpay`` command, run as a user runs it: a subprocess with only environment variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from pawpay.platform.testing.database import TestDatabase

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def pawpay(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")}
    full_env.update(env or {})
    full_env["PYTHONSAFEPATH"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pawpay.platform.cli", *args], env=full_env, input=stdin, text=True,
        capture_output=True, timeout=120, cwd=REPO, check=False,
    )


def test_config_show_masks_secrets() -> None:
    result = pawpay("config", "show", "--json", env={
        "PAWPAY_DATABASE_URL": "postgresql://app:hunter22@db/pawpay", "PAWPAY_SECRET_KEY": "s" * 40,
    })
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["PAWPAY_DATABASE_URL"] == "postgresql://app:****@db/pawpay"
    assert "hunter22" not in result.stdout
    assert "s" * 40 not in result.stdout


def test_invalid_settings_fail_with_a_clear_message() -> None:
    result = pawpay("config", "show", env={"PAWPAY_PORT": "99999"})
    assert result.returncode == 1
    assert "PAWPAY_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugins_list_shows_contributions() -> None:
    result = pawpay("plugins", "list", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert "pawpay.platform.identity.plugin" in plugins
    identity = plugins["pawpay.platform.identity.plugin"]["contributions"]
    assert "pawpay.platform.identity.piccolo_app" in identity["pawpay_piccolo_apps"]
    assert any("admin_ui" in name for name in plugins), "admin_ui registers through the entry point group"
    # Built-in providers are found through their entry points alone, like a third party's.
    registered = {item for p in plugins.values() for item in p["contributions"].get("providers", [])}
    for category in ("payments", "credit", "warehouses", "notifications", "identity", "financing"):
        assert any(item.startswith(f"{category}/sandbox") for item in registered), (category, registered)


def test_migrate_needs_the_owner_url() -> None:
    result = pawpay("migrate", env={"PAWPAY_DATABASE_URL": "postgresql://pawpay_app@127.0.0.1/x"})
    assert result.returncode == 1
    assert "PAWPAY_MIGRATE_DATABASE_URL" in result.stderr


async def test_migrate_is_idempotent_and_create_operator_works(pawpay_database: TestDatabase) -> None:
    env = {"PAWPAY_DATABASE_URL": pawpay_database.app_dsn,
           "PAWPAY_MIGRATE_DATABASE_URL": pawpay_database.owner_dsn}
    migrated = pawpay("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout

    created = pawpay("users", "create-operator", "--email", "Reviewer@Example.com", "--role", "reviewer",
                     "--password-stdin", env=env, stdin="a-long-password-1\n")
    assert created.returncode == 0, created.stderr
    conn = await asyncpg.connect(pawpay_database.owner_dsn)
    try:
        row = await conn.fetchrow("SELECT kind, roles, tenant_id, password_hash FROM account WHERE email = $1",
                                  "reviewer@example.com")
    finally:
        await conn.close()
    assert row is not None
    assert row["kind"] == "operator"
    assert row["roles"] == ["reviewer"]
    assert row["tenant_id"] is None
    assert row["password_hash"].startswith("$argon2id$")

    again = pawpay("users", "create-operator", "--email", "reviewer@example.com", "--password-stdin",
                   env=env, stdin="a-long-password-1\n")
    assert again.returncode == 1
    assert "EMAIL_TAKEN" in again.stderr

    weak = pawpay("users", "create-operator", "--email", "weak@example.com", "--password-stdin",
                  env=env, stdin="short\n")
    assert weak.returncode == 1
    assert "at least" in weak.stderr


def test_refuses_a_role_that_bypasses_row_level_security(pawpay_database: TestDatabase) -> None:
    # The owner URL is a superuser here: serving tenants with it would switch RLS off silently.
    env = {"PAWPAY_DATABASE_URL": pawpay_database.owner_dsn}
    refused = pawpay("users", "create-operator", "--email", "x@example.com", "--password-stdin",
                     env=env, stdin="a-long-password-1\n")
    assert refused.returncode == 1
    assert "bypasses row-level security" in refused.stderr


def test_serve_refuses_a_role_that_bypasses_row_level_security(pawpay_database: TestDatabase) -> None:
    served = pawpay("serve", "--port", "0", env={"PAWPAY_DATABASE_URL": pawpay_database.owner_dsn})
    assert served.returncode != 0
    assert "bypasses row-level security" in served.stderr + served.stdout
