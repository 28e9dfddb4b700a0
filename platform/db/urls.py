"""Small, explicit edits of PostgreSQL URLs (user, database) without touching the rest."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit


def with_user(dsn: str, user: str, password: str | None = None) -> str:
    """``dsn`` with its user (and password) replaced."""
    parts = urlsplit(dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    creds = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{creds}@{host}"))


def with_database(dsn: str, database: str) -> str:
    """``dsn`` pointing at another database on the same server."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/") or "postgres"
