"""``pawpay dev``: the whole product on one machine, from a fresh checkout, in one command.

Embedded PostgreSQL (pgserver) in the data directory, migrations, a demo operator and a demo
store with one account per staff role, then the web app with the in-process worker and
scheduler. One instance per data directory (a file lock the kernel releases even on SIGKILL).
Data lives in PostgreSQL, so it survives restarts and kills.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from pawpay.platform.settings import Settings, SettingsError

DEMO_STORE_SLUG = "demo"
DEMO_STORE_NAME = "毛孩子宠物店（演示）"
DEMO_OPERATOR = "ops@pawpay.dev"
DEMO_STAFF = {
    "manager": "manager@demo.pawpay.dev",
    "front_desk": "frontdesk@demo.pawpay.dev",
    "after_sales": "aftersales@demo.pawpay.dev",
    "finance": "finance@demo.pawpay.dev",
}


class AlreadyRunning(SettingsError):
    """Another ``pawpay dev`` holds this data directory."""


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    password: str
    operator: str
    staff: dict[str, str]


def _step(number: int, text: str) -> None:
    click.echo(click.style(f"[{number}/5] ", fg="cyan") + text, err=True)


@contextlib.contextmanager
def instance_lock(data_dir: Path, url: str) -> Iterator[None]:
    """Hold ``data_dir/dev.lock`` for the life of the process, or explain who holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "dev.lock"
    handle: TextIO = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise AlreadyRunning(
            f"pawpay dev is already running on {data_dir.resolve()} ({holder}). Stop it with Ctrl-C in its "
            "terminal, or start another with PAWPAY_DATA_DIR=<another directory> and --port."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, {url}")
    handle.flush()
    try:
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise SettingsError(
                f"port {port} on {host} is in use; stop what uses it or run `pawpay dev --port {port + 1}`"
            ) from None


def _load_or_create_credentials(data_dir: Path) -> tuple[DemoCredentials, bool]:
    path = data_dir / "demo-credentials.json"
    if path.exists():
        raw = json.loads(path.read_text())
        return DemoCredentials(raw["password"], raw["operator"], raw["staff"]), False
    creds = DemoCredentials(f"demo-{secrets.token_urlsafe(9)}", DEMO_OPERATOR, dict(DEMO_STAFF))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"password": creds.password, "operator": creds.operator, "staff": creds.staff}, fh)
    return creds, True


async def seed_demo(creds: DemoCredentials) -> bool:
    """Create the demo operator and store (with one account per role); False if already there."""
    from pawpay.platform.errors import Conflict
    from pawpay.platform.events.services import broadcast
    from pawpay.platform.identity.roles import OPERATOR_ROLES
    from pawpay.platform.identity.services import create_operator, create_staff
    from pawpay.platform.merchants.services import configure_sandbox_payments
    from pawpay.platform.tenancy.context import PlatformContext
    from pawpay.platform.tenancy.scope import platform_scope
    from pawpay.platform.tenancy.services import create_tenant

    ctx = PlatformContext(actor_label="pawpay dev")
    names = {"manager": "店长 王丽", "front_desk": "前台 李明", "after_sales": "售后 张强", "finance": "财务 陈静"}
    try:
        # One transaction: a crash half-way leaves no half-built demo that later runs would skip.
        async with platform_scope("seed the demo store", ctx):
            await create_operator(ctx, email=creds.operator, password=creds.password,
                                  roles=list(OPERATOR_ROLES), display_name="平台运营（演示）")
            tenant = await create_tenant(ctx, slug=DEMO_STORE_SLUG, name=DEMO_STORE_NAME, test_mode=True)
            for role, email in creds.staff.items():
                await create_staff(ctx, tenant_id=tenant.id, email=email, password=creds.password, roles=[role],
                                   display_name=names.get(role, role))
            await configure_sandbox_payments(ctx, tenant.id, tenant.slug)
    except Conflict:
        return False
    # Demo data (catalog, plans) from the components, once the store is committed.
    await broadcast("pawpay_demo_store_seeded", tenant_id=str(tenant.id))
    return True


def _banner(url: str, creds: DemoCredentials | None) -> None:
    click.echo("", err=True)
    click.echo(click.style("  pawpay is running → ", fg="green", bold=True) + click.style(f"{url}/login", bold=True),
               err=True)
    if creds is not None:
        click.echo(f"  operator console (/ops):  {creds.operator}", err=True)
        for role, email in creds.staff.items():
            click.echo(f"  store {role + ':':<13} {email}", err=True)
        click.echo(f"  password for all demo accounts: {creds.password}", err=True)
    click.echo("  API docs: " + f"{url}/api/docs" + "    Stop: Ctrl-C", err=True)
    click.echo("", err=True)


def run_dev(settings: Settings, *, host: str | None, port: int | None, demo: bool) -> int:
    import uvicorn

    from pawpay.platform.cli import resolve_database, run_migrations
    from pawpay.platform.observability.logging import configure_logging

    host = host or settings.host
    port = port or settings.port
    url = f"http://{host}:{port}"
    configure_logging(settings.log_level if settings.log_level != "INFO" else "WARNING", "console")
    with instance_lock(settings.data_dir, url):
        _check_port(host, port)
        _step(1, f"embedded PostgreSQL in {(settings.data_dir / 'postgres').resolve()}")
        owner_dsn, app_dsn, embedded = resolve_database(settings, need_owner=True)
        assert owner_dsn is not None
        _step(2, "applying migrations")
        run_migrations(owner_dsn, settings)
        creds = None
        if demo:
            _step(3, "demo operator and store")
            creds, _new = _load_or_create_credentials(settings.data_dir)
        else:
            _step(3, "demo data skipped (--no-demo)")
        _step(4, "starting web, worker and scheduler")

        from pawpay.platform.db.engine import configure_engine
        from pawpay.platform.web.app import create_app

        configure_engine(app_dsn)

        @contextlib.asynccontextmanager
        async def announce(_app: Any) -> AsyncIterator[None]:
            if creds is not None:
                created = await seed_demo(creds)
                if created:
                    click.echo("      demo data created", err=True)
            _step(5, "ready")
            _banner(url, creds)
            yield

        lifespans: list[Any] = []
        try:
            from pawpay.platform.jobs.runner import embedded_jobs

            lifespans.append(embedded_jobs(settings))
        except ImportError:  # the jobs component is optional for the web shell
            pass
        lifespans.append(announce)
        app = create_app(settings, extra_lifespan=lifespans)
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, lifespan="on", log_config=None,
                                               access_log=False))
        # uvicorn re-raises the stopping signal once it has shut down; turn SIGTERM into a normal
        # exit (like Ctrl-C) so that clean-up runs and the embedded PostgreSQL is stopped too.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        with contextlib.suppress(KeyboardInterrupt, _Stopped):
            asyncio.run(server.serve())
        click.echo("pawpay dev stopped; the data is kept in " + str(settings.data_dir.resolve()), err=True)
        if embedded is not None:
            embedded.server.cleanup()  # stops the embedded server unless another process still uses it
    return 0


class _Stopped(Exception):
    pass


def _exit_on_sigterm(_signum: int, _frame: Any) -> None:
    raise _Stopped
