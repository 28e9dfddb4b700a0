"""The embedded PostgreSQL of ``pawpay dev``: a private server (pgserver) in the data directory.

pgserver keeps the server running across processes and reference-counts its users; the data
survives restarts (and a SIGKILL of pawpay: PostgreSQL itself makes commits durable). Only a
Unix socket is served, inside the data directory.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pawpay.platform.db.urls import with_database, with_user

log = logging.getLogger(__name__)

DATABASE_NAME = "pawpay"


@dataclass(frozen=True, slots=True)
class EmbeddedDatabase:
    server: Any  # pgserver.PostgresServer; kept so that the server outlives this handle's users
    owner_dsn: str
    app_dsn: str


def start_embedded(data_dir: Path, app_role: str) -> EmbeddedDatabase:
    """Start (or join) the private PostgreSQL under ``data_dir/postgres``.

    The caller then runs migrations with ``owner_dsn`` and serves with ``app_dsn``.
    """
    import pgserver

    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    server_dsn = server.get_uri()
    owner_dsn = with_database(server_dsn, DATABASE_NAME)
    return EmbeddedDatabase(server=server, owner_dsn=owner_dsn, app_dsn=with_user(owner_dsn, app_role))


def _forget_dead_users(pgdata: Path) -> None:
    """pgserver counts the processes using a server in ``.handle_pids.json`` and stops the server
    when the last one exits, but never forgets a process that was killed (SIGKILL skips its
    clean-up); drop those, so that the next clean exit stops the server again."""
    path = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
