"""Upload rules without I/O: sniffing, keys, file names, signed download tokens."""

from __future__ import annotations

import uuid

import pytest

from pawpay.platform.storage import rules

pytestmark = pytest.mark.unit

KEY = b"k" * 32


def test_the_type_comes_from_the_bytes() -> None:
    assert rules.sniff(b"\xff\xd8\xff\xe0rest") == rules.JPEG
    assert rules.sniff(b"\x89PNG\r\n\x1a\nrest") == rules.PNG
    assert rules.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == rules.WEBP
    assert rules.sniff(b"%PDF-1.7\n") == rules.PDF
    assert rules.sniff(b"just some text pretending to be a jpg") is None
    assert rules.sniff(b"") is None


def test_a_pdf_must_look_complete() -> None:
    assert rules.looks_like_complete_pdf(b"%PDF-1.4\n...\n%%EOF\n")
    assert not rules.looks_like_complete_pdf(b"%PDF-1.4\n... truncated")


def test_keys_are_random_uuid4_under_the_purpose() -> None:
    keys = {rules.new_key("licences", rules.PNG) for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        purpose, name = key.split("/")
        assert purpose == "licences"
        assert name.endswith(".png")
        assert uuid.UUID(name[:-4]).version == 4
        assert rules.is_valid_key(key)


@pytest.mark.parametrize("key", ["../etc/passwd", "licences/../../x.png", "licences/abc.png",
                                 "/abs/" + "a" * 32 + ".png", "licences/" + "a" * 32 + ".exe",
                                 "Licences/" + "a" * 32 + ".png"])
def test_only_generated_keys_are_valid(key: str) -> None:
    assert not rules.is_valid_key(key)


def test_purposes_are_checked() -> None:
    with pytest.raises(ValueError, match="purpose"):
        rules.new_key("../x", rules.PNG)


def test_file_names_are_cleaned() -> None:
    assert rules.clean_filename("C:\\Users\\me\\营业执照.JPG") == "营业执照.JPG"
    assert rules.clean_filename("../../etc/passwd") == "passwd"
    assert rules.clean_filename("a\x00b\nc.png") == "abc.png"
    assert rules.clean_filename("...") == "file"
    assert rules.download_name("licence.jpg", rules.PNG) == "licence.png"
    assert rules.download_name("noext", rules.PDF) == "noext.pdf"


def test_a_token_round_trips_and_rejects_tampering_and_expiry() -> None:
    grant = rules.DownloadGrant("licences/" + "a" * 32 + ".png", 1_000, "营业执照.png")
    token = rules.sign_grant(grant, KEY)
    assert rules.open_grant(token, KEY, now=999) == grant
    assert rules.open_grant(token, KEY, now=1_001) is None  # expired
    assert rules.open_grant(token, b"other" * 8, now=999) is None  # another secret
    payload, mac = token.split(".")
    forged = rules.sign_grant(rules.DownloadGrant("licences/" + "b" * 32 + ".png", 1_000, None), b"x" * 32)
    assert rules.open_grant(forged.split(".")[0] + "." + mac, KEY, now=999) is None
    assert rules.open_grant(payload[:-2] + "AA." + mac, KEY, now=999) is None
    assert rules.open_grant("garbage", KEY, now=999) is None
    assert rules.open_grant("", KEY, now=999) is None
