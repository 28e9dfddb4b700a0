"""Reading the ``_csrf`` field of a multipart form (file uploads) for the CSRF check."""

from __future__ import annotations

import pytest

from pawpay.platform.web.middleware import multipart_field

pytestmark = pytest.mark.unit
CT = "multipart/form-data; boundary=----pawpayBoundary7MA4YWxk"
DELIMITER = b"------pawpayBoundary7MA4YWxk"


def body(*parts: bytes) -> bytes:
    return b"".join(DELIMITER + b"\r\n" + p + b"\r\n" for p in parts) + DELIMITER + b"--\r\n"


def test_finds_the_text_field_among_files() -> None:
    data = body(
        b'Content-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x00",
        b'Content-Disposition: form-data; name="_csrf"\r\n\r\ntoken-123',
        b'Content-Disposition: form-data; name="kind"\r\n\r\nphoto',
    )
    assert multipart_field(data, CT, "_csrf") == "token-123"
    assert multipart_field(data, CT, "kind") == "photo"


def test_a_file_part_named_like_the_field_does_not_count() -> None:
    data = body(b'Content-Disposition: form-data; name="_csrf"; filename="x.txt"\r\n\r\ntoken-123')
    assert multipart_field(data, CT, "_csrf") is None


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=other"])
def test_no_or_another_boundary_finds_nothing(content_type: str) -> None:
    data = body(b'Content-Disposition: form-data; name="_csrf"\r\n\r\ntoken-123')
    assert multipart_field(data, content_type, "_csrf") is None


def test_malformed_body_finds_nothing() -> None:
    assert multipart_field(b"garbage", CT, "_csrf") is None
    assert multipart_field(b"------pawpayBoundary7MA4YWxk\r\nno headers end", CT, "_csrf") is None
