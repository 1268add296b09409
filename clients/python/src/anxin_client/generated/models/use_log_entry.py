from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.problem_code import ProblemCode

T = TypeVar("T", bound="UseLogEntry")


@_attrs_define
class UseLogEntry:
    """One gate call, granted or refused.

    Attributes:
        use_id (UUID):
        granted (bool):
        code (None | ProblemCode): The refusal's code; null when granted
        purpose (None | str):
        data_item (None | str):
        reference (None | str):
        operator (None | str):
        at (datetime.datetime):
    """

    use_id: UUID
    granted: bool
    code: None | ProblemCode
    purpose: None | str
    data_item: None | str
    reference: None | str
    operator: None | str
    at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        use_id = str(self.use_id)

        granted = self.granted

        code: None | str
        if isinstance(self.code, ProblemCode):
            code = self.code.value
        else:
            code = self.code

        purpose: None | str
        purpose = self.purpose

        data_item: None | str
        data_item = self.data_item

        reference: None | str
        reference = self.reference

        operator: None | str
        operator = self.operator

        at = self.at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "use_id": use_id,
                "granted": granted,
                "code": code,
                "purpose": purpose,
                "data_item": data_item,
                "reference": reference,
                "operator": operator,
                "at": at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        use_id = UUID(d.pop("use_id"))

        granted = d.pop("granted")

        def _parse_code(data: object) -> None | ProblemCode:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                code_type_0 = ProblemCode(data)

                return code_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProblemCode, data)

        code = _parse_code(d.pop("code"))

        def _parse_purpose(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        purpose = _parse_purpose(d.pop("purpose"))

        def _parse_data_item(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        data_item = _parse_data_item(d.pop("data_item"))

        def _parse_reference(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reference = _parse_reference(d.pop("reference"))

        def _parse_operator(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        operator = _parse_operator(d.pop("operator"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        use_log_entry = cls(
            use_id=use_id,
            granted=granted,
            code=code,
            purpose=purpose,
            data_item=data_item,
            reference=reference,
            operator=operator,
            at=at,
        )

        use_log_entry.additional_properties = d
        return use_log_entry

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
