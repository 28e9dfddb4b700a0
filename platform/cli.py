"""The ``pawpay`` command: run, migrate, inspect and administer pawpay.

Every command reads the same settings (``PAWPAY_*``); errors say what to do next and exit
non-zero without a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import click

from pawpay.platform.settings import Settings, SettingsError, get_settings

F = TypeVar("F", bound=Callable[..., Any])


class CommandFailed(click.ClickException):
    """An expected failure: printed as ``Error: ...`` with exit code 1, no traceback."""


def friendly_errors(func: F) -> F:
    """Turn pawpay's own errors into short messages (a bug still shows its traceback)."""
    from pawpay.platform.db.migrate import MigrationFailed
    from pawpay.platform.db.roles import UnsafeDatabaseRole
    from pawpay.platform.errors import PawPayError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            raise CommandFailed(str(exc)) from None
        except (MigrationFailed, UnsafeDatabaseRole) as exc:
            raise CommandFailed(str(exc)) from None
        except PawPayError as exc:
            raise CommandFailed(f"{exc.detail} [{exc.code}]") from None
        except OSError as exc:
            if "connect" in str(exc).lower() or isinstance(exc, ConnectionError):
                raise CommandFailed(
                    f"cannot reach a service: {exc}. Check PAWPAY_DATABASE_URL / PAWPAY_BROKER_URL "
                    "(`pawpay config show`) and that the server is running."
                ) from None
            raise

    return wrapper  # type: ignore[return-value]


def _settings() -> Settings:
    return get_settings()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """pawpay — monthly food plans paid by automatic debit, for pet-adoption stores."""
    # pgserver's lock directory falls back to /tmp when XDG_RUNTIME_DIR is unset; that is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


# --- config ------------------------------------------------------------------------------------

@main.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly_errors
def config_show(as_json: bool) -> None:
    """Print the effective settings (secrets masked)."""
    shown = _settings().masked()
    if as_json:
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    width = max(len(k) for k in shown)
    for key, value in shown.items():
        click.echo(f"{key:<{width}}  {value}")


# --- database ----------------------------------------------------------------------------------

def resolve_database(settings: Settings, *, need_owner: bool) -> tuple[str | None, str, Any]:
    """(owner dsn, app dsn, embedded handle) for the configured or embedded database."""
    if settings.database_url is None:
        from pawpay.platform.db.embedded import start_embedded
        from pawpay.platform.db.roles import ensure_database
        from pawpay.platform.db.urls import database_name, with_database

        embedded = start_embedded(settings.data_dir, settings.database_app_role)
        asyncio.run(ensure_database(with_database(embedded.owner_dsn, "postgres"),
                                    database_name(embedded.owner_dsn)))
        return embedded.owner_dsn, embedded.app_dsn, embedded
    owner = settings.migrate_database_url.get_secret_value() if settings.migrate_database_url else None
    if need_owner and owner is None:
        raise SettingsError(
            "`pawpay migrate` runs as the schema owner: set PAWPAY_MIGRATE_DATABASE_URL to a URL whose "
            "user owns (or may create) pawpay's tables; PAWPAY_DATABASE_URL is the app role's URL."
        )
    return owner, settings.database_url.get_secret_value(), None


def run_migrations(owner_dsn: str, settings: Settings, *, quiet: bool = False) -> None:
    from pawpay.platform.db.migrate import migrate

    def say(line: str) -> None:
        if not quiet and not line.startswith("---"):
            click.echo(f"      {line}", err=True)

    asyncio.run(migrate(owner_dsn, settings.database_app_role, progress=say))


@main.command("migrate")
@friendly_errors
def migrate_command() -> None:
    """Apply every component's pending migrations (safe when several processes run it at once)."""
    settings = _settings()
    owner, _app, _embedded = resolve_database(settings, need_owner=True)
    assert owner is not None
    run_migrations(owner, settings)
    click.echo("✔ database is up to date")


# --- plugins -----------------------------------------------------------------------------------

@main.group()
def plugins() -> None:
    """Inspect the loaded plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def plugins_list(as_json: bool) -> None:
    """Show every loaded plugin and what it contributes."""
    from pawpay.platform.hooks._manager import get_plugin_manager

    infos = get_plugin_manager().describe()
    if as_json:
        click.echo(json.dumps([
            {"name": i.name, "distribution": i.distribution, "contributions": i.contributions} for i in infos
        ], indent=2, ensure_ascii=False))
        return
    for info in infos:
        click.echo(click.style(info.name, bold=True) + f"  ({info.distribution})")
        if not info.contributions:
            click.echo("    (contributes nothing)")
        for hook, items in info.contributions.items():
            click.echo(f"    {hook}: {', '.join(items) if items else '-'}")


# --- users -------------------------------------------------------------------------------------

@main.group()
def users() -> None:
    """Administer accounts."""


@users.command("create-operator")
@click.option("--email", required=True, help="The operator's e-mail (their login).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--role", "roles", multiple=True, default=["admin"], show_default=True,
              type=click.Choice(["reviewer", "ops_finance", "admin"]), help="Repeat for several roles.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly_errors
def create_operator_command(email: str, display_name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a platform operator account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    _owner, app_dsn, _embedded = resolve_database(settings, need_owner=False)

    async def create() -> Any:
        from pawpay.platform.db.engine import close_pool, configure_engine, start_pool
        from pawpay.platform.identity.services import create_operator
        from pawpay.platform.tenancy.context import PlatformContext

        configure_engine(app_dsn)
        await start_pool(1, 2)
        try:
            return await create_operator(PlatformContext(actor_label="cli"), email=email, password=password,
                                         roles=list(roles), display_name=display_name)
        finally:
            await close_pool()

    view = asyncio.run(create())
    click.echo(f"✔ operator {view.email} created (roles: {', '.join(view.roles)})")


# --- processes ---------------------------------------------------------------------------------

@main.command("serve")
@click.option("--host", default=None, help="Bind address (default PAWPAY_HOST).")
@click.option("--port", type=int, default=None, help="Port (default PAWPAY_PORT).")
@click.option("--workers", type=int, default=1, show_default=True, help="uvicorn worker processes.")
@friendly_errors
def serve_command(host: str | None, port: int | None, workers: int) -> None:
    """Run the web server (production; needs PAWPAY_DATABASE_URL and a migrated database)."""
    import uvicorn

    settings = _settings()
    if settings.database_url is None:
        raise SettingsError("`pawpay serve` needs PAWPAY_DATABASE_URL; for the embedded database use `pawpay dev`.")
    _configure_logging(settings)
    uvicorn.run("pawpay.platform.web.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, access_log=False, proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips, log_config=None)


@main.command("worker")
@click.option("--processes", type=int, default=2, show_default=True)
@click.option("--threads", type=int, default=4, show_default=True)
@friendly_errors
def worker_command(processes: int, threads: int) -> None:
    """Run dramatiq workers against PAWPAY_BROKER_URL."""
    from pawpay.platform.jobs.runner import run_worker

    settings = _settings()
    _configure_logging(settings)
    sys.exit(run_worker(settings, processes, threads))


@main.command("scheduler")
@friendly_errors
def scheduler_command() -> None:
    """Run the scheduler (one instance is active; others stand by)."""
    from pawpay.platform.jobs.runner import run_scheduler

    settings = _settings()
    _configure_logging(settings)
    sys.exit(run_scheduler(settings))


@main.command("dev")
@click.option("--host", default=None, help="Bind address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--no-demo", is_flag=True, help="Do not create the demo operator and store.")
@friendly_errors
def dev_command(host: str | None, port: int | None, no_demo: bool) -> None:
    """Run everything on this machine: embedded PostgreSQL, migrations, demo data, web, worker, scheduler."""
    from pawpay.platform.devserver import run_dev

    sys.exit(run_dev(_settings(), host=host, port=port, demo=not no_demo))


def _configure_logging(settings: Settings) -> None:
    from pawpay.platform.observability.logging import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    logging.captureWarnings(True)


if __name__ == "__main__":
    main()
