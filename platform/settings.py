"""Typed settings read from ``PAWPAY_*`` environment variables.

One frozen object, built once per process by :func:`get_settings`. Invalid or missing values
raise :class:`SettingsError`, whose message names the variable and says what to do.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pawpay.platform.clock import validate_time_zone

Environment = Literal["dev", "test", "production"]


class SettingsError(Exception):
    """The environment does not describe a runnable pawpay; the message says which variable to fix."""


class Settings(BaseSettings):
    """Every knob pawpay reads from its environment (prefix ``PAWPAY_``)."""

    model_config = SettingsConfigDict(env_prefix="PAWPAY_", frozen=True, extra="ignore")

    env: Environment = "dev"
    data_dir: Path = Path(".pawpay")
    # Runtime connections use this URL; its role must be NOSUPERUSER NOBYPASSRLS and own no table.
    # Unset: pawpay starts a private PostgreSQL (pgserver) inside data_dir.
    database_url: SecretStr | None = None
    # Migrations run as the owner of the schema; defaults to database_url's server as `postgres`.
    migrate_database_url: SecretStr | None = None
    database_app_role: str = "pawpay_app"
    database_pool_min: int = Field(default=1, ge=1)
    database_pool_max: int = Field(default=10, ge=1)
    # redis://... or amqp://...; unset: an in-process broker and worker (embedded mode).
    broker_url: SecretStr | None = None
    secret_key: SecretStr | None = None
    time_zone: str = "Asia/Shanghai"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    session_ttl_minutes: int = Field(default=12 * 60, ge=5)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_attempts_per_ip: int = Field(default=30, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    scheduler_tick_seconds: float = Field(default=5.0, gt=0)
    job_lease_seconds: int = Field(default=300, ge=5)
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    # Cookies only over HTTPS; unset: on in production, off in dev/test (plain http://127.0.0.1).
    cookie_secure: bool | None = None
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, or "*").
    # The login rate limit counts the client address, so behind an ingress this must be set.
    forwarded_allow_ips: str = "127.0.0.1"
    # Longest wait for a pooled database connection before answering 503 instead of hanging.
    database_acquire_timeout_seconds: float = Field(default=10.0, gt=0)
    # Uploaded files (see docs/storage.md): unset = a local directory, <data_dir>/files;
    # file:///absolute/path = another directory; s3://bucket/prefix = S3 or an S3-compatible store.
    storage_url: str | None = None
    # S3-compatible endpoint (e.g. https://oss-cn-shanghai.aliyuncs.com, http://minio:9000); unset = AWS S3.
    storage_s3_endpoint: str | None = None
    storage_s3_region: str | None = None
    # Unset: boto3's own credential chain (instance role, AWS_* variables).
    storage_s3_access_key: str | None = None
    storage_s3_secret_key: SecretStr | None = None
    # Largest upload accepted (bytes) unless a caller sets a smaller limit.
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        validate_time_zone(value)
        return value

    @field_validator("database_url", "migrate_database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("postgres://", "postgresql://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "amqp://", "amqps://")
        ):
            raise ValueError("must be a redis:// or amqp:// URL")
        return value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.startswith("s3://"):
            if not value[len("s3://"):].split("/", 1)[0]:
                raise ValueError("an s3:// URL needs a bucket: s3://bucket/prefix")
            return value
        if value.startswith("file://"):
            if not value[len("file://"):].startswith("/"):
                raise ValueError("a file:// URL needs an absolute path: file:///var/lib/pawpay/files")
            return value
        raise ValueError("must be s3://bucket/prefix or file:///absolute/path")

    @model_validator(mode="after")
    def _production_needs_services(self) -> Settings:
        if self.env == "production":
            missing = [
                f"PAWPAY_{name.upper()}"
                for name in ("database_url", "broker_url", "secret_key")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"production needs {', '.join(missing)}")
        if self.database_pool_min > self.database_pool_max:
            raise ValueError("PAWPAY_DATABASE_POOL_MIN is greater than PAWPAY_DATABASE_POOL_MAX")
        return self

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url is None

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.env == "production"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def secret(self) -> str:
        """The signing/encryption secret; in dev it is generated once and kept in the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def masked(self) -> dict[str, Any]:
        """The effective settings, secrets masked, for ``pawpay config show``."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = mask_secret(value.get_secret_value())
            elif value is None and name in {"database_url", "broker_url"}:
                value = "(embedded)"
            elif value is None and name == "secret_key":
                value = f"(generated, kept in {self.data_dir / 'secret_key'})"
            shown[f"PAWPAY_{name.upper()}"] = str(value) if isinstance(value, Path) else value
        return shown


def mask_secret(value: str) -> str:
    """Mask a secret, keeping a URL's scheme/host readable and hiding any password."""
    if "://" in value:
        scheme, rest = value.split("://", 1)
        if "@" in rest:
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            return f"{scheme}://{user}:****@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
        return value
    return "****" if len(value) < 12 else f"{value[:2]}****{value[-2:]}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment (plus overrides); raise :class:`SettingsError` if invalid."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            name = f"PAWPAY_{field.upper()}" if err["loc"] else "settings"
            lines.append(f"  {name}: {err['msg']}")
        raise SettingsError(
            "pawpay cannot start, its configuration is invalid:\n"
            + "\n".join(lines)
            + "\nFix the environment variables above (see README, 'Configuration')."
        ) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings (cached); tests call ``get_settings.cache_clear()``."""
    return load_settings()
