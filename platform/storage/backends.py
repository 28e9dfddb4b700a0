"""Where stored bytes live: one small Protocol, a local directory and an S3-compatible bucket.

Keys reach a backend only after :func:`rules.is_valid_key` (``<purpose>/<32 hex>.<ext>``), so no
key can climb out of the directory or the prefix.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pawpay.platform.storage.errors import FileNotFound

if TYPE_CHECKING:
    from pawpay.platform.settings import Settings


class StorageBackend(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (a new key: never overwrites anything in practice)."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`FileNotFound` if there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens if it is already gone."""
        ...


class LocalBackend:
    """A directory on the local disk (the default: ``<data_dir>/files``). Files are written to a
    temporary name and renamed, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise FileNotFound() from None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


class S3Backend:
    """An S3 bucket (or an S3-compatible store: Aliyun OSS, Tencent COS, MinIO) through boto3.

    boto3 is synchronous; each call runs in a worker thread so the event loop never blocks.
    """

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFound() from None
        body: bytes = response["Body"].read()
        return body

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=self._name(key), Body=data,
                                ContentType=content_type)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._name(key))


def s3_client(settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    secret = settings.storage_s3_secret_key.get_secret_value() if settings.storage_s3_secret_key else None
    return boto3.client(
        "s3",
        endpoint_url=settings.storage_s3_endpoint,
        region_name=settings.storage_s3_region,
        aws_access_key_id=settings.storage_s3_access_key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
    )


def backend_from_settings(settings: Settings) -> StorageBackend:
    url = settings.storage_url
    if url is None:
        return LocalBackend(settings.data_dir / "files")
    if url.startswith("file://"):
        return LocalBackend(Path(url[len("file://"):]))
    bucket, _, prefix = url[len("s3://"):].partition("/")
    return S3Backend(bucket, prefix, s3_client(settings))
