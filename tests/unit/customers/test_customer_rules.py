"""Customer rules: resident ID numbers (checksum, birth date, age), phones, masks, pet dates."""

from __future__ import annotations

from datetime import date

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.customers import rules

pytestmark = pytest.mark.unit

VALID_ID = "11010519491231002X"  # the GB 11643 example: born 1949-12-31
ADULT_ID = "110101199003074514"  # born 1990-03-07


def test_a_valid_id_number_normalises_to_upper_case() -> None:
    assert rules.normalise_id_number(VALID_ID.lower()) == VALID_ID
    assert rules.birth_date(VALID_ID) == date(1949, 12, 31)


@pytest.mark.parametrize("bad", ["110105194912310021", "11010519491231002", "", "110105194913310029", "abc"])
def test_invalid_id_numbers_are_refused_on_the_id_field(bad: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        rules.normalise_id_number(bad)
    assert err.value.data["field"] == "id_number"
    assert str(err.value.code) == "CUSTOMER_INVALID_ID_NUMBER"


def test_age_in_full_years() -> None:
    assert rules.age_on(ADULT_ID, date(2008, 3, 6)) == 17
    assert rules.age_on(ADULT_ID, date(2008, 3, 7)) == 18
    assert rules.age_on(VALID_ID, date(2026, 11, 22)) == 76


def test_age_before_birth_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        rules.age_on(ADULT_ID, date(1989, 1, 1))


@pytest.mark.parametrize("phone", ["13912345678", "+8613912345678", "139 1234 5678", "139-1234-5678"])
def test_phones_normalise(phone: str) -> None:
    assert rules.normalise_phone(phone) == "13912345678"


@pytest.mark.parametrize("phone", ["12912345678", "1391234567", "abc", ""])
def test_bad_phones_are_refused(phone: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        rules.normalise_phone(phone)
    assert err.value.data["field"] == "phone"


def test_masks_hide_the_middle() -> None:
    assert rules.mask_phone("13912345678") == "139****5678"
    assert rules.mask_id_number(ADULT_ID) == "110***********4514"
    assert rules.mask_name("张三") == "张*"
    assert rules.mask_name("欧阳娜娜") == "欧***"
    assert rules.mask_name("李") == "李*"


def test_tags_are_trimmed_and_deduplicated() -> None:
    assert rules.normalise_tags([" vip ", "vip", "", "老客户"]) == ["vip", "老客户"]
    with pytest.raises(ValidationFailed):
        rules.normalise_tags(["x" * 40])


def test_pet_dates() -> None:
    today = date(2026, 11, 22)
    rules.check_pet("cat", date(2026, 3, 1), date(2026, 6, 1), today)
    rules.check_pet("dog", date(2026, 11, 22), None, today)
    with pytest.raises(ValidationFailed) as err:
        rules.check_pet("cat", date(2026, 11, 23), None, today)
    assert str(err.value.code) == "PET_BIRTHDAY_IN_FUTURE"
    with pytest.raises(ValidationFailed) as err:
        rules.check_pet("cat", date(2026, 6, 2), date(2026, 6, 1), today)
    assert str(err.value.code) == "PET_BIRTHDAY_AFTER_ADOPTION"
    with pytest.raises(ValidationFailed) as err:
        rules.check_pet("rabbit", date(2026, 1, 1), None, today)
    assert err.value.data["field"] == "species"
