import datetime as dt

import pytest

from anxin.domain.subject import (
    Subject,
    mask_id_number,
    mask_mobile,
    normalize_mobile,
    resident_id_check_char,
    validate_passport,
    validate_resident_id,
)
from anxin.errors import ValidationFailed


@pytest.mark.parametrize("number", ["11010519491231002X", "440524198001010013",
                                    "110101199003077512"])
def test_valid_resident_ids(number):
    assert validate_resident_id(number) == number


def test_lowercase_x_is_normalised():
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(("number", "why"), [
    ("110105194912310021", "check digit"),
    ("11010519491331002X", "not a date"),
    ("1101051949123100", "17 digits"),
    ("01010519491231002X", "17 digits"),
    ("110105" + "20991231" + "002", "out of range"),
])
def test_invalid_resident_ids_name_the_field_and_reason(number, why):
    if len(number) == 17:
        number += resident_id_check_char(number)
    with pytest.raises(ValidationFailed) as exc:
        validate_resident_id(number, today=dt.date(2026, 1, 1))
    assert exc.value.field == "subject.id_number"
    assert exc.value.code == "invalid_id_number"
    assert why in exc.value.detail


def test_check_char_known_answer():
    assert resident_id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(("raw", "e164"), [
    ("13800138000", "+8613800138000"), ("138 0013 8000", "+8613800138000"),
    ("+8613800138000", "+8613800138000"), ("+85291234567", "+85291234567"),
    ("+447911123456", "+447911123456"),
])
def test_valid_mobiles(raw, e164):
    assert normalize_mobile(raw) == e164


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "+86123", "hello",
                                 "+8601012345678", "+442071234567"])
def test_invalid_mobiles(raw):
    with pytest.raises(ValidationFailed) as exc:
        normalize_mobile(raw)
    assert exc.value.field == "subject.mobile"


def test_masks():
    assert mask_id_number("11010119900307751X") == "110101********751X"
    assert mask_mobile("+8613812345678") == "138****5678"
    assert "*" in mask_mobile("+85291234567")
    assert mask_mobile("+85291234567")[-3:] == "567"


def test_passport():
    assert validate_passport("e1234 5678") == "E12345678"
    with pytest.raises(ValidationFailed):
        validate_passport("E1")


def test_subject_parse_names_fields():
    with pytest.raises(ValidationFailed) as exc:
        Subject.parse("张三", "driver_licence", "X", "13800138000")
    assert exc.value.field == "subject.id_type"
    with pytest.raises(ValidationFailed) as exc:
        Subject.parse("  ", "resident_id", "11010519491231002X", "13800138000")
    assert exc.value.field == "subject.name"
