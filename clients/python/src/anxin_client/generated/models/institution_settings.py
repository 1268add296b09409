from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InstitutionSettings")


@_attrs_define
class InstitutionSettings:
    """Your institution and its embedding settings.

    Attributes:
        id (UUID):
        name (str):
        code (None | str):
        status (str):
        frame_ancestors (list[str]): Origins that may frame your signing pages (CSP frame-ancestors)
        return_url_prefixes (list[str]): Prefixes a request's return_url must start with
        created_at (datetime.datetime):
    """

    id: UUID
    name: str
    code: None | str
    status: str
    frame_ancestors: list[str]
    return_url_prefixes: list[str]
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        code: None | str
        code = self.code

        status = self.status

        frame_ancestors = self.frame_ancestors

        return_url_prefixes = self.return_url_prefixes

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "code": code,
                "status": status,
                "frame_ancestors": frame_ancestors,
                "return_url_prefixes": return_url_prefixes,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        name = d.pop("name")

        def _parse_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        code = _parse_code(d.pop("code"))

        status = d.pop("status")

        frame_ancestors = cast(list[str], d.pop("frame_ancestors"))

        return_url_prefixes = cast(list[str], d.pop("return_url_prefixes"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        institution_settings = cls(
            id=id,
            name=name,
            code=code,
            status=status,
            frame_ancestors=frame_ancestors,
            return_url_prefixes=return_url_prefixes,
            created_at=created_at,
        )

        institution_settings.additional_properties = d
        return institution_settings

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
