"""The person who signs: identity numbers, mobile numbers, and how they are masked.

Resident identity numbers follow GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check
character, with the birth date at positions 7–14.

>>> validate_resident_id("11010519491231002X")
'11010519491231002X'
>>> mask_id_number("11010519491231002X")
'110105********002X'
>>> normalize_mobile("13800138000")
'+8613800138000'
>>> mask_mobile("+8613812345678")
'138****5678'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from anxin.error_codes import Code
from anxin.errors import ValidationFailed

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT_RE = re.compile(r"^[1-9]\d{16}[\dX]$")
_PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
_MAINLAND_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for 17 leading digits."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def validate_resident_id(value: str, *, today: dt.date | None = None,
                         field: str = "subject.id_number") -> str:
    """Return the normalised number or raise naming what is wrong."""
    v = value.strip().upper()
    if not _RESIDENT_RE.match(v):
        raise ValidationFailed(
            "a resident ID number has 17 digits and a check digit (0-9 or X)", field=field,
            code=Code.INVALID_ID_NUMBER)
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationFailed("the birth date inside the resident ID number is not a date",
                               field=field, code=Code.INVALID_ID_NUMBER) from None
    if birth > (today or dt.date.today()) or birth.year < 1900:
        raise ValidationFailed("the birth date inside the resident ID number is out of range",
                               field=field, code=Code.INVALID_ID_NUMBER)
    expected = resident_id_check_char(v[:17])
    if v[17] != expected:
        raise ValidationFailed(
            f"the resident ID number's check digit is wrong (GB 11643: expected {expected})",
            field=field, code=Code.INVALID_ID_NUMBER)
    return v


def validate_passport(value: str, *, field: str = "subject.id_number") -> str:
    v = value.strip().upper().replace(" ", "")
    if not _PASSPORT_RE.match(v):
        raise ValidationFailed("a passport number has 5 to 20 letters and digits",
                               field=field, code=Code.INVALID_ID_NUMBER)
    return v


def validate_id_number(id_type: IdType, value: str, *, field: str = "subject.id_number") -> str:
    if id_type is IdType.RESIDENT_ID:
        return validate_resident_id(value, field=field)
    return validate_passport(value, field=field)


def normalize_mobile(value: str, *, field: str = "subject.mobile") -> str:
    """Return the number in E.164 (``+86…`` for an 11-digit mainland number) or raise."""
    v = re.sub(r"[\s-]", "", value)
    if _MAINLAND_MOBILE_RE.match(v):
        return "+86" + v
    if v.startswith("+"):
        try:
            parsed = phonenumbers.parse(v, None)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            number_type = phonenumbers.number_type(parsed)
            if number_type in (phonenumbers.PhoneNumberType.MOBILE,
                               phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
                e164: str = phonenumbers.format_number(parsed,
                                                       phonenumbers.PhoneNumberFormat.E164)
                if e164.startswith("+86") and not _MAINLAND_MOBILE_RE.match(e164[3:]):
                    raise ValidationFailed("not a valid mainland mobile number", field=field,
                                           code=Code.INVALID_MOBILE)
                return e164
    raise ValidationFailed(
        "not a valid mobile number (11-digit mainland number or E.164 such as +85291234567)",
        field=field, code=Code.INVALID_MOBILE)


def require_sms_country(e164: str, countries: tuple[str, ...], *,
                        field: str = "subject.mobile") -> str:
    """Return ``e164`` if its country calling code is one SMS may go to, else raise
    naming ``field`` (SMS pumping goes to premium international ranges).

    >>> require_sms_country("+8613800138000", ("86",))
    '+8613800138000'
    """
    try:
        code = str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        code = ""
    if code not in countries:
        allowed = ", ".join("+" + c for c in countries) or "none"
        raise ValidationFailed(
            f"SMS cannot be sent to this country (+{code}); allowed: {allowed}",
            field=field, code=Code.SMS_COUNTRY_NOT_ALLOWED)
    return e164


def mask_id_number(value: str) -> str:
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_mobile(e164: str) -> str:
    national = e164[3:] if e164.startswith("+86") else e164
    if len(national) >= 11 and not national.startswith("+"):
        return national[:3] + "****" + national[-4:]
    return national[:4] + "*" * max(len(national) - 7, 1) + national[-3:]


def mask_name(name: str) -> str:
    """Keep the family name (first character) only: 张三 → 张*, John Smith → J*** S****."""
    if not name:
        return name
    if " " in name.strip():
        return " ".join(p[0] + "*" * (len(p) - 1) for p in name.split())
    return name[0] + "*" * (len(name) - 1)


@dataclass(frozen=True, slots=True)
class Subject:
    """A validated subject: id number normalised, mobile in E.164."""

    name: str
    id_type: IdType
    id_number: str
    mobile: str

    @classmethod
    def parse(cls, name: str, id_type: str, id_number: str, mobile: str) -> Subject:
        clean_name = " ".join(name.split())
        if not clean_name or len(clean_name) > 100:
            raise ValidationFailed("the name must have 1 to 100 characters",
                                   field="subject.name")
        try:
            kind = IdType(id_type)
        except ValueError:
            raise ValidationFailed("id_type must be resident_id or passport",
                                   field="subject.id_type") from None
        return cls(clean_name, kind, validate_id_number(kind, id_number),
                   normalize_mobile(mobile))

    @property
    def id_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)
