from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="InstitutionPatch")


@_attrs_define
class InstitutionPatch:
    """Members given replace the stored list; members absent keep it; [] clears it.

    Attributes:
        frame_ancestors (list[str] | None | Unset): Origins (https://host[:port], no path) that may frame the signing
            pages of your authorizations; empty: none (frame-ancestors 'none')
        return_url_prefixes (list[str] | None | Unset): https URL prefixes that a request's return_url must start with
    """

    frame_ancestors: list[str] | None | Unset = UNSET
    return_url_prefixes: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        frame_ancestors: list[str] | None | Unset
        if isinstance(self.frame_ancestors, Unset):
            frame_ancestors = UNSET
        elif isinstance(self.frame_ancestors, list):
            frame_ancestors = self.frame_ancestors

        else:
            frame_ancestors = self.frame_ancestors

        return_url_prefixes: list[str] | None | Unset
        if isinstance(self.return_url_prefixes, Unset):
            return_url_prefixes = UNSET
        elif isinstance(self.return_url_prefixes, list):
            return_url_prefixes = self.return_url_prefixes

        else:
            return_url_prefixes = self.return_url_prefixes

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if frame_ancestors is not UNSET:
            field_dict["frame_ancestors"] = frame_ancestors
        if return_url_prefixes is not UNSET:
            field_dict["return_url_prefixes"] = return_url_prefixes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_frame_ancestors(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                frame_ancestors_type_0 = cast(list[str], data)

                return frame_ancestors_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        frame_ancestors = _parse_frame_ancestors(d.pop("frame_ancestors", UNSET))

        def _parse_return_url_prefixes(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                return_url_prefixes_type_0 = cast(list[str], data)

                return return_url_prefixes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        return_url_prefixes = _parse_return_url_prefixes(d.pop("return_url_prefixes", UNSET))

        institution_patch = cls(
            frame_ancestors=frame_ancestors,
            return_url_prefixes=return_url_prefixes,
        )

        return institution_patch
