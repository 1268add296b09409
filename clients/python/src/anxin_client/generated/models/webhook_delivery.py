from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import (
    Any,
    Literal,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="WebhookDelivery")


@_attrs_define
class WebhookDelivery:
    """One delivery of an event (or a ping) to an endpoint, and how it went.

    Attributes:
        id (str): Retry it with `.../deliveries/{id}/retry`
        object_ (Literal['webhook_delivery']):
        endpoint_id (None | str): null once the endpoint is deleted (a delivery also to the `callback_url` stays)
        event (str):
        event_id (str): The `Anxin-Event-Id` header: deduplicate by it
        authorization_id (None | str):
        url (str):
        status (str): `pending`, `delivered`, `failed` (gave up, or a permanent refusal) or `cancelled`
        attempts (int):
        last_error (None | str):
        last_attempt_at (datetime.datetime | None):
        response_status (int | None): The receiver's last HTTP status
        delivered_at (datetime.datetime | None):
        next_attempt_at (datetime.datetime | None): While `pending`: the next try
        also_callback_url (bool): The endpoint's URL is also the authorization's `callback_url`: one delivery
        created_at (datetime.datetime):
    """

    id: str
    object_: Literal["webhook_delivery"]
    endpoint_id: None | str
    event: str
    event_id: str
    authorization_id: None | str
    url: str
    status: str
    attempts: int
    last_error: None | str
    last_attempt_at: datetime.datetime | None
    response_status: int | None
    delivered_at: datetime.datetime | None
    next_attempt_at: datetime.datetime | None
    also_callback_url: bool
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        endpoint_id: None | str
        endpoint_id = self.endpoint_id

        event = self.event

        event_id = self.event_id

        authorization_id: None | str
        authorization_id = self.authorization_id

        url = self.url

        status = self.status

        attempts = self.attempts

        last_error: None | str
        last_error = self.last_error

        last_attempt_at: None | str
        if isinstance(self.last_attempt_at, datetime.datetime):
            last_attempt_at = self.last_attempt_at.isoformat()
        else:
            last_attempt_at = self.last_attempt_at

        response_status: int | None
        response_status = self.response_status

        delivered_at: None | str
        if isinstance(self.delivered_at, datetime.datetime):
            delivered_at = self.delivered_at.isoformat()
        else:
            delivered_at = self.delivered_at

        next_attempt_at: None | str
        if isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        also_callback_url = self.also_callback_url

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "endpoint_id": endpoint_id,
                "event": event,
                "event_id": event_id,
                "authorization_id": authorization_id,
                "url": url,
                "status": status,
                "attempts": attempts,
                "last_error": last_error,
                "last_attempt_at": last_attempt_at,
                "response_status": response_status,
                "delivered_at": delivered_at,
                "next_attempt_at": next_attempt_at,
                "also_callback_url": also_callback_url,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = cast(Literal["webhook_delivery"], d.pop("object"))
        if object_ != "webhook_delivery":
            raise ValueError(f"object must match const 'webhook_delivery', got '{object_}'")

        def _parse_endpoint_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        endpoint_id = _parse_endpoint_id(d.pop("endpoint_id"))

        event = d.pop("event")

        event_id = d.pop("event_id")

        def _parse_authorization_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        authorization_id = _parse_authorization_id(d.pop("authorization_id"))

        url = d.pop("url")

        status = d.pop("status")

        attempts = d.pop("attempts")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        def _parse_last_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_attempt_at = _parse_last_attempt_at(d.pop("last_attempt_at"))

        def _parse_response_status(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        response_status = _parse_response_status(d.pop("response_status"))

        def _parse_delivered_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                delivered_at_type_0 = datetime.datetime.fromisoformat(data)

                return delivered_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        delivered_at = _parse_delivered_at(d.pop("delivered_at"))

        def _parse_next_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("next_attempt_at"))

        also_callback_url = d.pop("also_callback_url")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        webhook_delivery = cls(
            id=id,
            object_=object_,
            endpoint_id=endpoint_id,
            event=event,
            event_id=event_id,
            authorization_id=authorization_id,
            url=url,
            status=status,
            attempts=attempts,
            last_error=last_error,
            last_attempt_at=last_attempt_at,
            response_status=response_status,
            delivered_at=delivered_at,
            next_attempt_at=next_attempt_at,
            also_callback_url=also_callback_url,
            created_at=created_at,
        )

        webhook_delivery.additional_properties = d
        return webhook_delivery

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
