from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.id_type import IdType

T = TypeVar("T", bound="SubjectIdentity")


@_attrs_define
class SubjectIdentity:
    """The person asked to sign. The id number and mobile are encrypted at rest and
    masked in every answer.

        Attributes:
            name (str):
            id_type (IdType):
            id_number (str): `resident_id`: 17 digits and the GB 11643 check character (0-9 or X), with a real birth date;
                `passport`: 5 to 20 letters and digits
            mobile (str): An 11-digit mainland mobile number or E.164 (`+85291234567`); SMS go only to the country codes the
                deployment allows (`ANXIN_SMS_COUNTRIES`, default 86)
    """

    name: str
    id_type: IdType
    id_number: str
    mobile: str

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        id_type = self.id_type.value

        id_number = self.id_number

        mobile = self.mobile

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "id_type": id_type,
                "id_number": id_number,
                "mobile": mobile,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        id_type = IdType(d.pop("id_type"))

        id_number = d.pop("id_number")

        mobile = d.pop("mobile")

        subject_identity = cls(
            name=name,
            id_type=id_type,
            id_number=id_number,
            mobile=mobile,
        )

        return subject_identity
