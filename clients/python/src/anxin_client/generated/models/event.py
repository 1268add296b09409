from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.authorization_status import AuthorizationStatus

T = TypeVar("T", bound="Event")


@_attrs_define
class Event:
    """A status change of one of your authorizations: what the webhook POSTs, plus its
    `cursor` and delivery state.

        Attributes:
            cursor (str): Ask for the events after this one with `after=`
            event (str):
            authorization_id (UUID):
            institution_id (UUID):
            status (AuthorizationStatus): The states of an authorization (``anxin.domain.states.Status``; a unit test keeps
                the two equal).
            reference (str):
            occurred_at (datetime.datetime):
            delivery (str): The webhook delivery's state (`pending`, `delivered`, `failed`, ...)
            attempts (int):
    """

    cursor: str
    event: str
    authorization_id: UUID
    institution_id: UUID
    status: AuthorizationStatus
    reference: str
    occurred_at: datetime.datetime
    delivery: str
    attempts: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cursor = self.cursor

        event = self.event

        authorization_id = str(self.authorization_id)

        institution_id = str(self.institution_id)

        status = self.status.value

        reference = self.reference

        occurred_at = self.occurred_at.isoformat()

        delivery = self.delivery

        attempts = self.attempts

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cursor": cursor,
                "event": event,
                "authorization_id": authorization_id,
                "institution_id": institution_id,
                "status": status,
                "reference": reference,
                "occurred_at": occurred_at,
                "delivery": delivery,
                "attempts": attempts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cursor = d.pop("cursor")

        event = d.pop("event")

        authorization_id = UUID(d.pop("authorization_id"))

        institution_id = UUID(d.pop("institution_id"))

        status = AuthorizationStatus(d.pop("status"))

        reference = d.pop("reference")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        delivery = d.pop("delivery")

        attempts = d.pop("attempts")

        event = cls(
            cursor=cursor,
            event=event,
            authorization_id=authorization_id,
            institution_id=institution_id,
            status=status,
            reference=reference,
            occurred_at=occurred_at,
            delivery=delivery,
            attempts=attempts,
        )

        event.additional_properties = d
        return event

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
