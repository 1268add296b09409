from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="DeletionRequest")


@_attrs_define
class DeletionRequest:
    """What you deleted, and when (the data that granted uses fetched).

    Attributes:
        deleted_at (datetime.datetime): When the data was deleted, with a time zone (not in the future, not before any
            named use)
        items (list[str]): The `use_id` of each granted use whose fetched data was deleted
    """

    deleted_at: datetime.datetime
    items: list[str]

    def to_dict(self) -> dict[str, Any]:
        deleted_at = self.deleted_at.isoformat()

        items = self.items

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "deleted_at": deleted_at,
                "items": items,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        deleted_at = datetime.datetime.fromisoformat(d.pop("deleted_at"))

        items = cast(list[str], d.pop("items"))

        deletion_request = cls(
            deleted_at=deleted_at,
            items=items,
        )

        return deletion_request
