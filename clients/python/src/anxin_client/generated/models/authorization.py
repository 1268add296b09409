from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.authorization_status import AuthorizationStatus

if TYPE_CHECKING:
    from ..models.authorization_status_times import AuthorizationStatusTimes
    from ..models.masked_subject import MaskedSubject


T = TypeVar("T", bound="Authorization")


@_attrs_define
class Authorization:
    """An authorization, as lists and the cancel answer show it.

    Attributes:
        id (UUID):
        status (AuthorizationStatus): The states of an authorization (``anxin.domain.states.Status``; a unit test keeps
            the two equal).
        purpose (str):
        data_scope (list[str]):
        reference (str):
        valid_from (datetime.datetime):
        valid_until (datetime.datetime):
        max_uses (int):
        uses (int):
        uses_remaining (int):
        signed_at (datetime.datetime | None):
        timestamp (datetime.datetime | None): The TSA's genTime of the signature
        letter_sha256 (str):
        request_expires_at (datetime.datetime):
        created_at (datetime.datetime):
        status_changed_at (datetime.datetime):
        revoked_at (datetime.datetime | None):
        status_times (AuthorizationStatusTimes): When it entered each status it went through, by status
        subject (MaskedSubject):
    """

    id: UUID
    status: AuthorizationStatus
    purpose: str
    data_scope: list[str]
    reference: str
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    max_uses: int
    uses: int
    uses_remaining: int
    signed_at: datetime.datetime | None
    timestamp: datetime.datetime | None
    letter_sha256: str
    request_expires_at: datetime.datetime
    created_at: datetime.datetime
    status_changed_at: datetime.datetime
    revoked_at: datetime.datetime | None
    status_times: AuthorizationStatusTimes
    subject: MaskedSubject
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        status = self.status.value

        purpose = self.purpose

        data_scope = self.data_scope

        reference = self.reference

        valid_from = self.valid_from.isoformat()

        valid_until = self.valid_until.isoformat()

        max_uses = self.max_uses

        uses = self.uses

        uses_remaining = self.uses_remaining

        signed_at: None | str
        if isinstance(self.signed_at, datetime.datetime):
            signed_at = self.signed_at.isoformat()
        else:
            signed_at = self.signed_at

        timestamp: None | str
        if isinstance(self.timestamp, datetime.datetime):
            timestamp = self.timestamp.isoformat()
        else:
            timestamp = self.timestamp

        letter_sha256 = self.letter_sha256

        request_expires_at = self.request_expires_at.isoformat()

        created_at = self.created_at.isoformat()

        status_changed_at = self.status_changed_at.isoformat()

        revoked_at: None | str
        if isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        status_times = self.status_times.to_dict()

        subject = self.subject.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "purpose": purpose,
                "data_scope": data_scope,
                "reference": reference,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "max_uses": max_uses,
                "uses": uses,
                "uses_remaining": uses_remaining,
                "signed_at": signed_at,
                "timestamp": timestamp,
                "letter_sha256": letter_sha256,
                "request_expires_at": request_expires_at,
                "created_at": created_at,
                "status_changed_at": status_changed_at,
                "revoked_at": revoked_at,
                "status_times": status_times,
                "subject": subject,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.authorization_status_times import AuthorizationStatusTimes  # noqa: PLC0415
        from ..models.masked_subject import MaskedSubject  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        status = AuthorizationStatus(d.pop("status"))

        purpose = d.pop("purpose")

        data_scope = cast(list[str], d.pop("data_scope"))

        reference = d.pop("reference")

        valid_from = datetime.datetime.fromisoformat(d.pop("valid_from"))

        valid_until = datetime.datetime.fromisoformat(d.pop("valid_until"))

        max_uses = d.pop("max_uses")

        uses = d.pop("uses")

        uses_remaining = d.pop("uses_remaining")

        def _parse_signed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                signed_at_type_0 = datetime.datetime.fromisoformat(data)

                return signed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        signed_at = _parse_signed_at(d.pop("signed_at"))

        def _parse_timestamp(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                timestamp_type_0 = datetime.datetime.fromisoformat(data)

                return timestamp_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        timestamp = _parse_timestamp(d.pop("timestamp"))

        letter_sha256 = d.pop("letter_sha256")

        request_expires_at = datetime.datetime.fromisoformat(d.pop("request_expires_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        status_changed_at = datetime.datetime.fromisoformat(d.pop("status_changed_at"))

        def _parse_revoked_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at"))

        status_times = AuthorizationStatusTimes.from_dict(d.pop("status_times"))

        subject = MaskedSubject.from_dict(d.pop("subject"))

        authorization = cls(
            id=id,
            status=status,
            purpose=purpose,
            data_scope=data_scope,
            reference=reference,
            valid_from=valid_from,
            valid_until=valid_until,
            max_uses=max_uses,
            uses=uses,
            uses_remaining=uses_remaining,
            signed_at=signed_at,
            timestamp=timestamp,
            letter_sha256=letter_sha256,
            request_expires_at=request_expires_at,
            created_at=created_at,
            status_changed_at=status_changed_at,
            revoked_at=revoked_at,
            status_times=status_times,
            subject=subject,
        )

        authorization.additional_properties = d
        return authorization

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
