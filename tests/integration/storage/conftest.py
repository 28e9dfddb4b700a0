"""Storage backends for the tests: a temporary directory, and S3 faked at the HTTP boundary by
moto's ThreadedMotoServer (boto3 speaks real HTTP to it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pawpay.platform.storage import services as storage
from pawpay.platform.storage.backends import LocalBackend, S3Backend
from pawpay.platform.testing.plugin import free_port

BUCKET = "pawpay-test"


@pytest.fixture
def local_backend(tmp_path: Path) -> Iterator[LocalBackend]:
    backend = LocalBackend(tmp_path / "files")
    previous = storage.use_backend(backend)
    try:
        yield backend
    finally:
        storage.use_backend(previous)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_client(moto_endpoint: str) -> Any:
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def s3_backend(s3_client: Any) -> Iterator[S3Backend]:
    backend = S3Backend(BUCKET, "uploads/", s3_client)
    previous = storage.use_backend(backend)
    try:
        yield backend
    finally:
        storage.use_backend(previous)
