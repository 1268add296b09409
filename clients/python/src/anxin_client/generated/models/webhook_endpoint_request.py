from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.webhook_endpoint_request_events_item import (
    WebhookEndpointRequestEventsItem,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="WebhookEndpointRequest")


@_attrs_define
class WebhookEndpointRequest:
    """A URL to POST the events you subscribe to, signed (`Anxin-Signature`) with the
    endpoint's own secret. At most 16 endpoints, each URL once.

        Attributes:
            url (str): An http(s) URL; not a loopback, private, link-local or metadata address unless the deployment allows
                it (`ANXIN_OUTBOUND_ALLOW`)
            events (list[WebhookEndpointRequestEventsItem]): Event names, or "*" for every event (repeats are taken once)
            description (None | str | Unset):
    """

    url: str
    events: list[WebhookEndpointRequestEventsItem]
    description: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        events = []
        for events_item_data in self.events:
            events_item = events_item_data.value
            events.append(events_item)

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
                "events": events,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = WebhookEndpointRequestEventsItem(events_item_data)

            events.append(events_item)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        webhook_endpoint_request = cls(
            url=url,
            events=events,
            description=description,
        )

        return webhook_endpoint_request
