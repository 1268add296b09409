from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="DatedRange")


@_attrs_define
class DatedRange:
    """The query may cover the days `from` to `to` (inclusive; `from` not after `to`).

    Attributes:
        from_ (datetime.date):
        to (datetime.date):
    """

    from_: datetime.date
    to: datetime.date

    def to_dict(self) -> dict[str, Any]:
        from_ = self.from_.isoformat()

        to = self.to.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "from": from_,
                "to": to,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        from_ = datetime.date.fromisoformat(d.pop("from"))

        to = datetime.date.fromisoformat(d.pop("to"))

        dated_range = cls(
            from_=from_,
            to=to,
        )

        return dated_range
