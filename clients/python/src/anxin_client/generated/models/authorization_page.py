from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.authorization import Authorization


T = TypeVar("T", bound="AuthorizationPage")


@_attrs_define
class AuthorizationPage:
    """A page of your authorizations, newest first.

    Attributes:
        items (list[Authorization]):
        page (int | None): The page's number; null for a page asked by cursor (`after`)
        page_size (int):
        total (int): The matching authorizations, counted up to 10,000 (a full count would cost the rows':
            `total_capped` is true when there are more)
        total_capped (bool): True when more than `total` match
        next_page (int | None): The next page's number, or null on the last (and on a page asked by cursor)
        next_ (None | str): The cursor of the next page (ask with `after=`), or null on the last
    """

    items: list[Authorization]
    page: int | None
    page_size: int
    total: int
    total_capped: bool
    next_page: int | None
    next_: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        page: int | None
        page = self.page

        page_size = self.page_size

        total = self.total

        total_capped = self.total_capped

        next_page: int | None
        next_page = self.next_page

        next_: None | str
        next_ = self.next_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "page": page,
                "page_size": page_size,
                "total": total,
                "total_capped": total_capped,
                "next_page": next_page,
                "next": next_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.authorization import Authorization  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = Authorization.from_dict(items_item_data)

            items.append(items_item)

        def _parse_page(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        page = _parse_page(d.pop("page"))

        page_size = d.pop("page_size")

        total = d.pop("total")

        total_capped = d.pop("total_capped")

        def _parse_next_page(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        next_page = _parse_next_page(d.pop("next_page"))

        def _parse_next_(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_ = _parse_next_(d.pop("next"))

        authorization_page = cls(
            items=items,
            page=page,
            page_size=page_size,
            total=total,
            total_capped=total_capped,
            next_page=next_page,
            next_=next_,
        )

        authorization_page.additional_properties = d
        return authorization_page

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
