from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.frequency_per import FrequencyPer

T = TypeVar("T", bound="Frequency")


@_attrs_define
class Frequency:
    """At most `max_uses` granted uses per calendar `per` (the deployment's time zone).

    Attributes:
        max_uses (int):
        per (FrequencyPer):
    """

    max_uses: int
    per: FrequencyPer

    def to_dict(self) -> dict[str, Any]:
        max_uses = self.max_uses

        per = self.per.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "max_uses": max_uses,
                "per": per,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_uses = d.pop("max_uses")

        per = FrequencyPer(d.pop("per"))

        frequency = cls(
            max_uses=max_uses,
            per=per,
        )

        return frequency
