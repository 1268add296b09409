from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="UseRequest")


@_attrs_define
class UseRequest:
    """One query of the person's data, asked of the gate.

    Attributes:
        purpose (str): Must be the authorization's purpose
        reference (str): Your reference of this query
        operator (str): Who in the institution asks
        data_item (str): One category of the authorization's scope
    """

    purpose: str
    reference: str
    operator: str
    data_item: str

    def to_dict(self) -> dict[str, Any]:
        purpose = self.purpose

        reference = self.reference

        operator = self.operator

        data_item = self.data_item

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "purpose": purpose,
                "reference": reference,
                "operator": operator,
                "data_item": data_item,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        purpose = d.pop("purpose")

        reference = d.pop("reference")

        operator = d.pop("operator")

        data_item = d.pop("data_item")

        use_request = cls(
            purpose=purpose,
            reference=reference,
            operator=operator,
            data_item=data_item,
        )

        return use_request
