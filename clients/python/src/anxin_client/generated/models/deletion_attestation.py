from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DeletionAttestation")


@_attrs_define
class DeletionAttestation:
    """The attestation as recorded (a ledger leaf names the uses, nothing personal).

    Attributes:
        id (str):
        authorization_id (UUID):
        deleted_at (datetime.datetime):
        items (list[str]):
        created_at (datetime.datetime):
    """

    id: str
    authorization_id: UUID
    deleted_at: datetime.datetime
    items: list[str]
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        authorization_id = str(self.authorization_id)

        deleted_at = self.deleted_at.isoformat()

        items = self.items

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "authorization_id": authorization_id,
                "deleted_at": deleted_at,
                "items": items,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        authorization_id = UUID(d.pop("authorization_id"))

        deleted_at = datetime.datetime.fromisoformat(d.pop("deleted_at"))

        items = cast(list[str], d.pop("items"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        deletion_attestation = cls(
            id=id,
            authorization_id=authorization_id,
            deleted_at=deleted_at,
            items=items,
            created_at=created_at,
        )

        deletion_attestation.additional_properties = d
        return deletion_attestation

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
