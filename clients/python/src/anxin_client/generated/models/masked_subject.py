from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.id_type import IdType

T = TypeVar("T", bound="MaskedSubject")


@_attrs_define
class MaskedSubject:
    """
    Attributes:
        name (str):
        id_type (IdType):
        id_number (str):
        mobile (str):
    """

    name: str
    id_type: IdType
    id_number: str
    mobile: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        id_type = self.id_type.value

        id_number = self.id_number

        mobile = self.mobile

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
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

        masked_subject = cls(
            name=name,
            id_type=id_type,
            id_number=id_number,
            mobile=mobile,
        )

        masked_subject.additional_properties = d
        return masked_subject

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
