from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UseRequest")


@_attrs_define
class UseRequest:
    """One query of the person's data, asked of the gate.

    Attributes:
        purpose (str): Must be the authorization's purpose
        reference (str): Your reference of this query
        operator (str): Who in the institution asks
        data_item (str): One category of the authorization's scope
        data_from (datetime.date | None | Unset): The first day of the person's data the query covers; required when the
            letter has a data range
        data_to (datetime.date | None | Unset): The last day of the person's data the query covers
    """

    purpose: str
    reference: str
    operator: str
    data_item: str
    data_from: datetime.date | None | Unset = UNSET
    data_to: datetime.date | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        purpose = self.purpose

        reference = self.reference

        operator = self.operator

        data_item = self.data_item

        data_from: None | str | Unset
        if isinstance(self.data_from, Unset):
            data_from = UNSET
        elif isinstance(self.data_from, datetime.date):
            data_from = self.data_from.isoformat()
        else:
            data_from = self.data_from

        data_to: None | str | Unset
        if isinstance(self.data_to, Unset):
            data_to = UNSET
        elif isinstance(self.data_to, datetime.date):
            data_to = self.data_to.isoformat()
        else:
            data_to = self.data_to

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "purpose": purpose,
                "reference": reference,
                "operator": operator,
                "data_item": data_item,
            }
        )
        if data_from is not UNSET:
            field_dict["data_from"] = data_from
        if data_to is not UNSET:
            field_dict["data_to"] = data_to

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        purpose = d.pop("purpose")

        reference = d.pop("reference")

        operator = d.pop("operator")

        data_item = d.pop("data_item")

        def _parse_data_from(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                data_from_type_0 = datetime.date.fromisoformat(data)

                return data_from_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        data_from = _parse_data_from(d.pop("data_from", UNSET))

        def _parse_data_to(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                data_to_type_0 = datetime.date.fromisoformat(data)

                return data_to_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        data_to = _parse_data_to(d.pop("data_to", UNSET))

        use_request = cls(
            purpose=purpose,
            reference=reference,
            operator=operator,
            data_item=data_item,
            data_from=data_from,
            data_to=data_to,
        )

        return use_request
