from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="LookbackRange")


@_attrs_define
class LookbackRange:
    """The query may cover the last `lookback_months`, counted back from each gate call.

    Attributes:
        lookback_months (int):
    """

    lookback_months: int

    def to_dict(self) -> dict[str, Any]:
        lookback_months = self.lookback_months

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "lookback_months": lookback_months,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        lookback_months = d.pop("lookback_months")

        lookback_range = cls(
            lookback_months=lookback_months,
        )

        return lookback_range
