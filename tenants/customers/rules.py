"""Customer and pet rules as pure functions: resident ID numbers, phones, ages, pet dates, tags.

Resident ID numbers (居民身份证号码) are checked with ``stdnum.cn.ric`` (18 characters, a valid
birth date and the ISO 7064 check digit). Ages are in full years: a person born on 29 February
turns a year older on 1 March in non-leap years.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.customers.errors import CustomerErrorCode, code

SPECIES: Final = ("cat", "dog")
CHANNELS: Final = ("sms", "mini_program")
MAX_TAGS: Final = 20
MAX_TAG_LENGTH: Final = 32
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_id_number(value: str) -> str:
    """The canonical form of a resident ID number (upper-case ``X``); refuses an invalid one."""
    text = (value or "").strip().upper()
    if len(text) != 18:
        raise ValidationFailed("a resident ID number has 18 characters", field="id_number",
                               code=code(CustomerErrorCode.CUSTOMER_INVALID_ID_NUMBER))
    try:
        return str(ric.validate(text))
    except StdnumValidationError:
        raise ValidationFailed("the resident ID number is invalid (check digit or birth date)", field="id_number",
                               code=code(CustomerErrorCode.CUSTOMER_INVALID_ID_NUMBER)) from None


def birth_date(id_number: str) -> date:
    """The birth date written in a (valid) resident ID number."""
    return ric.get_birth_date(normalise_id_number(id_number))


def age_on(id_number: str, day: date) -> int:
    """Full years of age on ``day`` of the holder of ``id_number``."""
    born = birth_date(id_number)
    if born > day:
        raise ValidationFailed("the birth date in the ID number is in the future", field="id_number",
                               code=code(CustomerErrorCode.CUSTOMER_BIRTHDAY_IN_FUTURE))
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def normalise_phone(value: str) -> str:
    """An 11-digit mainland mobile number (``+86`` and spaces/dashes removed)."""
    text = re.sub(r"[\s-]", "", value or "")
    text = text.removeprefix("+86")
    if not _MOBILE.match(text):
        raise ValidationFailed("an 11-digit mainland mobile number is required", field="phone",
                               code=code(CustomerErrorCode.CUSTOMER_INVALID_PHONE))
    return text


def normalise_name(value: str) -> str:
    text = " ".join((value or "").split())
    if not text or len(text) > 50:
        raise ValidationFailed("a name of 1 to 50 characters is required", field="name",
                               code=code(CustomerErrorCode.CUSTOMER_INVALID_NAME))
    return text


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``, ``Li Lei`` → ``L*****``: the first character only."""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(id_number: str) -> str:
    """``110101199003074514`` → ``110***********4514``."""
    return id_number[:3] + "*" * 11 + id_number[-4:]


def normalise_tags(tags: list[str] | tuple[str, ...] | None) -> list[str]:
    out: list[str] = []
    for tag in tags or []:
        text = " ".join(str(tag).split())
        if not text:
            continue
        if len(text) > MAX_TAG_LENGTH:
            raise ValidationFailed(f"a tag has at most {MAX_TAG_LENGTH} characters", field="tags",
                                   code=code(CustomerErrorCode.CUSTOMER_INVALID_TAG))
        if text not in out:
            out.append(text)
    if len(out) > MAX_TAGS:
        raise ValidationFailed(f"at most {MAX_TAGS} tags", field="tags",
                               code=code(CustomerErrorCode.CUSTOMER_INVALID_TAG))
    return out


def check_pet(species: str, birthday: date, adoption_date: date | None, today: date) -> None:
    """A pet's species and dates: the birthday is not in the future nor after the adoption date."""
    if species not in SPECIES:
        raise ValidationFailed("the species is cat or dog", field="species",
                               code=code(CustomerErrorCode.PET_INVALID_SPECIES))
    if birthday > today:
        raise ValidationFailed("the pet's birthday is in the future", field="birthday",
                               code=code(CustomerErrorCode.PET_BIRTHDAY_IN_FUTURE))
    if adoption_date is not None and birthday > adoption_date:
        raise ValidationFailed("the pet's birthday is after its adoption date", field="birthday",
                               code=code(CustomerErrorCode.PET_BIRTHDAY_AFTER_ADOPTION))
