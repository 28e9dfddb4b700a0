"""Uploads end to end: refused when too large, mistyped or not an image; images re-encoded without
EXIF; random keys; no tenant involved; the signed ``/files/<token>`` link; local and S3 backends."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pawpay.platform.clock import FrozenClock, set_clock, utcnow
from pawpay.platform.errors import ValidationFailed
from pawpay.platform.settings import load_settings
from pawpay.platform.storage import services as storage
from pawpay.platform.storage.backends import LocalBackend, S3Backend, backend_from_settings
from pawpay.platform.storage.errors import FileNotFound
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope

pytestmark = pytest.mark.integration

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def png_with_exif(size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x9286] = "GPS home address"  # UserComment-ish tag, something identifying
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x0112] = 6  # Orientation: rotate 90 when displayed
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def _refused(data: bytes, code: str, **kw: Any) -> ValidationFailed:
    kw.setdefault("filename", "upload.jpg")
    kw.setdefault("purpose", "tests")
    with pytest.raises(ValidationFailed) as raised:
        await storage.store_upload(data, **kw)
    assert str(raised.value.code) == code
    assert raised.value.data["field"] == "file"
    return raised.value


@pytest.mark.usefixtures("local_backend")
async def test_a_20_mb_upload_is_refused() -> None:
    await _refused(b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024), "UPLOAD_TOO_LARGE")
    await _refused(png_with_exif(), "UPLOAD_TOO_LARGE", max_bytes=100)


@pytest.mark.usefixtures("local_backend")
async def test_a_text_file_named_jpg_is_refused() -> None:
    await _refused(b"hello, I am plain text\n", "UPLOAD_TYPE_NOT_ALLOWED", filename="photo.jpg")
    await _refused(b"<script>alert(1)</script>", "UPLOAD_TYPE_NOT_ALLOWED", filename="photo.png")


@pytest.mark.usefixtures("local_backend")
async def test_a_broken_image_and_an_empty_file_are_refused() -> None:
    await _refused(b"\xff\xd8\xff\xe0" + b"garbage" * 100, "UPLOAD_NOT_AN_IMAGE")
    await _refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "UPLOAD_NOT_AN_IMAGE")
    await _refused(b"", "UPLOAD_EMPTY")


@pytest.mark.usefixtures("local_backend")
async def test_a_pixel_bomb_is_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")  # 50 MP, a few KB on the wire
    await _refused(out.getvalue(), "UPLOAD_TOO_LARGE")


@pytest.mark.usefixtures("local_backend")
async def test_pdfs_only_where_allowed_and_only_complete_ones() -> None:
    stored = await storage.store_upload(PDF_BYTES, filename="licence.pdf", purpose="licences")
    assert stored.content_type == "application/pdf"
    assert await storage.read_file(stored.key) == PDF_BYTES
    await _refused(PDF_BYTES, "UPLOAD_TYPE_NOT_ALLOWED", allowed=storage.IMAGE_TYPES)
    await _refused(b"%PDF-1.4\ntruncated", "UPLOAD_TYPE_NOT_ALLOWED")


@pytest.mark.usefixtures("local_backend")
async def test_a_valid_png_is_re_encoded_without_exif() -> None:
    original = png_with_exif()
    assert b"SecretCam" in original
    stored = await storage.store_upload(original, filename="C:\\fakepath\\营业执照.JPG", purpose="licences")
    assert stored.content_type == "image/png"
    assert (stored.width, stored.height) == (64, 48)
    assert stored.original_name == "营业执照.png"
    data = await storage.read_file(stored.key)
    assert b"SecretCam" not in data
    assert stored.size == len(data)
    import hashlib

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert dict(image.getexif()) == {}
        assert image.getpixel((0, 0)) == (200, 30, 30)


@pytest.mark.usefixtures("local_backend")
async def test_a_jpeg_loses_its_exif_but_stays_upright() -> None:
    stored = await storage.store_upload(jpeg_with_exif(), filename="p.jpg", purpose="photos")
    data = await storage.read_file(stored.key)
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (30, 40)  # the orientation was applied before EXIF was dropped


async def test_keys_are_unguessable_and_files_are_tenant_independent(local_backend: LocalBackend, store_a: Any,
                                                                     store_b: Any) -> None:
    async with tenant_scope(TenantContext(tenant_id=store_a.tenant_id)):
        first = await storage.store_upload(png_with_exif(), filename="a.png", purpose="licences")
    second = await storage.store_upload(png_with_exif(), filename="a.png", purpose="licences")
    assert first.key != second.key
    for key in (first.key, second.key):
        folder, name = key.split("/")
        assert folder == "licences"
        assert uuid.UUID(name.removesuffix(".png")).version == 4
    assert str(store_a.tenant_id) not in first.key
    # No tenant owns a file: another store's scope (or none) reads it; access control is the link.
    async with tenant_scope(TenantContext(tenant_id=store_b.tenant_id)):
        assert await storage.read_file(first.key) == await storage.read_file(second.key)
    assert (local_backend.root / first.key).is_file()


@pytest.mark.usefixtures("local_backend")
async def test_unknown_and_malformed_keys_are_not_found() -> None:
    with pytest.raises(FileNotFound):
        await storage.read_file("licences/" + uuid.uuid4().hex + ".png")
    with pytest.raises(FileNotFound):
        await storage.read_file("../../etc/passwd")
    with pytest.raises(FileNotFound):
        storage.download_url("../../etc/passwd")


@pytest.mark.usefixtures("local_backend")
async def test_delete_file() -> None:
    stored = await storage.store_upload(PDF_BYTES, filename="x.pdf", purpose="tests")
    await storage.delete_file(stored.key)
    await storage.delete_file(stored.key)  # already gone: nothing happens
    with pytest.raises(FileNotFound):
        await storage.read_file(stored.key)


@pytest.mark.usefixtures("local_backend")
async def test_the_signed_link_serves_the_file_with_safe_headers(http: Any) -> None:
    stored = await storage.store_upload(png_with_exif(), filename="营业执照.png", purpose="licences")
    url = storage.download_url(stored.key, filename=stored.original_name)
    assert url.startswith("/files/")
    assert stored.key not in url
    response = await http.get(url)
    assert response.status_code == 200
    assert response.content == await storage.read_file(stored.key)
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.png" in response.headers["content-disposition"]
    assert response.headers["content-disposition"].startswith("inline;")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    pdf = await storage.store_upload(PDF_BYTES, filename="licence.pdf", purpose="licences")
    served = await http.get(storage.download_url(pdf.key))
    assert served.headers["content-type"] == "application/pdf"
    assert served.content == PDF_BYTES


@pytest.mark.usefixtures("local_backend")
async def test_a_tampered_or_expired_link_is_404(http: Any) -> None:
    stored = await storage.store_upload(PDF_BYTES, filename="x.pdf", purpose="tests")
    url = storage.download_url(stored.key, ttl_seconds=60)
    token = url.removeprefix("/files/")
    payload, mac = token.split(".")
    tampered = f"/files/{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{mac}"
    assert (await http.get(tampered)).status_code == 404
    assert (await http.get("/files/not-a-token")).status_code == 404
    other = storage.download_url("tests/" + uuid.uuid4().hex + ".pdf")  # signed, but no such file
    assert (await http.get(other)).status_code == 404
    previous = set_clock(FrozenClock(utcnow() + timedelta(seconds=61)))
    try:
        assert (await http.get(url)).status_code == 404
    finally:
        set_clock(previous)
    assert (await http.get(url)).status_code == 200


async def test_the_s3_backend_against_an_s3_http_server(s3_backend: S3Backend, s3_client: Any, http: Any) -> None:
    stored = await storage.store_upload(png_with_exif(), filename="a.png", purpose="licences")
    listed = s3_client.list_objects_v2(Bucket=s3_backend.bucket, Prefix="uploads/licences/")
    assert f"uploads/{stored.key}" in [o["Key"] for o in listed["Contents"]]
    head = s3_client.head_object(Bucket=s3_backend.bucket, Key=f"uploads/{stored.key}")
    assert head["ContentType"] == "image/png"
    data = await storage.read_file(stored.key)
    assert b"SecretCam" not in data
    response = await http.get(storage.download_url(stored.key))
    assert response.status_code == 200
    assert response.content == data
    await storage.delete_file(stored.key)
    with pytest.raises(FileNotFound):
        await storage.read_file(stored.key)


def test_the_backend_follows_the_settings(tmp_path: Path, moto_endpoint: str) -> None:
    default = backend_from_settings(load_settings(data_dir=tmp_path))
    assert isinstance(default, LocalBackend)
    assert default.root == tmp_path / "files"
    elsewhere = backend_from_settings(load_settings(storage_url=f"file://{tmp_path}/x"))
    assert isinstance(elsewhere, LocalBackend)
    assert elsewhere.root == tmp_path / "x"
    s3 = backend_from_settings(load_settings(storage_url="s3://bucket/some/prefix", storage_s3_endpoint=moto_endpoint,
                                             storage_s3_region="cn-north-1", storage_s3_access_key="ak",
                                             storage_s3_secret_key="sk-very-secret-value"))
    assert isinstance(s3, S3Backend)
    assert (s3.bucket, s3.prefix) == ("bucket", "some/prefix")
    shown = load_settings(storage_s3_secret_key="sk-very-secret-value").masked()
    assert "sk-very-secret-value" not in str(shown)
    assert shown["PAWPAY_UPLOAD_MAX_BYTES"] == 10 * 1024 * 1024


@pytest.mark.parametrize("url", ["s3://", "file://relative/path", "ftp://x", "/var/files"])
def test_bad_storage_urls_are_refused(url: str) -> None:
    from pawpay.platform.settings import SettingsError

    with pytest.raises(SettingsError, match="PAWPAY_STORAGE_URL"):
        load_settings(storage_url=url)
