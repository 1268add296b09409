from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    TypeVar,
    cast,
)
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.authorization_detail_paused_by_type_0 import (
    AuthorizationDetailPausedByType0,
)
from ..models.authorization_status import AuthorizationStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.authorization_detail_status_times import AuthorizationDetailStatusTimes
    from ..models.masked_subject import MaskedSubject
    from ..models.renewal_link import RenewalLink
    from ..models.template_ref import TemplateRef
    from ..models.use_log_entry import UseLogEntry


T = TypeVar("T", bound="AuthorizationDetail")


@_attrs_define
class AuthorizationDetail:
    """An authorization with its template version and every gate call made on it.

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
        status_times (AuthorizationDetailStatusTimes): When it entered each status it went through, by status
        subject (MaskedSubject):
        template (TemplateRef):
        uses_log (list[UseLogEntry]):
        test (bool | Unset): Made with your test key (test mode): a TEST letter by the test CA, no legal effect, seen
            only with the test key Default: False.
        paused_by (AuthorizationDetailPausedByType0 | None | Unset): Who paused it, while `status` is `paused` (an
            operator's pause is lifted only by the operator)
        notify_subject (Literal['sms'] | None | Unset): `sms` when Anxin sends the signing link
        return_url (None | str | Unset): Where the signing page returns to
        viewed_at (datetime.datetime | None | Unset): When the signing link was first opened (`authorization:viewed`)
        reminder_sent_at (datetime.datetime | None | Unset): When the reminder SMS before the request lapses went out
        renews (None | Unset | UUID): The authorization this one renews
        renewed_by (None | Unset | UUID): The latest request that renews this one (pending, signed or ended unsigned)
        renewal_chain (list[RenewalLink] | None | Unset): Where it is part of a chain of renewals: every authorization
            of it, oldest first
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
    status_times: AuthorizationDetailStatusTimes
    subject: MaskedSubject
    template: TemplateRef
    uses_log: list[UseLogEntry]
    test: bool | Unset = False
    paused_by: AuthorizationDetailPausedByType0 | None | Unset = UNSET
    notify_subject: Literal["sms"] | None | Unset = UNSET
    return_url: None | str | Unset = UNSET
    viewed_at: datetime.datetime | None | Unset = UNSET
    reminder_sent_at: datetime.datetime | None | Unset = UNSET
    renews: None | Unset | UUID = UNSET
    renewed_by: None | Unset | UUID = UNSET
    renewal_chain: list[RenewalLink] | None | Unset = UNSET
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

        template = self.template.to_dict()

        uses_log = []
        for uses_log_item_data in self.uses_log:
            uses_log_item = uses_log_item_data.to_dict()
            uses_log.append(uses_log_item)

        test = self.test

        paused_by: None | str | Unset
        if isinstance(self.paused_by, Unset):
            paused_by = UNSET
        elif isinstance(self.paused_by, AuthorizationDetailPausedByType0):
            paused_by = self.paused_by.value
        else:
            paused_by = self.paused_by

        notify_subject: Literal["sms"] | None | Unset
        if isinstance(self.notify_subject, Unset):
            notify_subject = UNSET
        else:
            notify_subject = self.notify_subject

        return_url: None | str | Unset
        if isinstance(self.return_url, Unset):
            return_url = UNSET
        else:
            return_url = self.return_url

        viewed_at: None | str | Unset
        if isinstance(self.viewed_at, Unset):
            viewed_at = UNSET
        elif isinstance(self.viewed_at, datetime.datetime):
            viewed_at = self.viewed_at.isoformat()
        else:
            viewed_at = self.viewed_at

        reminder_sent_at: None | str | Unset
        if isinstance(self.reminder_sent_at, Unset):
            reminder_sent_at = UNSET
        elif isinstance(self.reminder_sent_at, datetime.datetime):
            reminder_sent_at = self.reminder_sent_at.isoformat()
        else:
            reminder_sent_at = self.reminder_sent_at

        renews: None | str | Unset
        if isinstance(self.renews, Unset):
            renews = UNSET
        elif isinstance(self.renews, UUID):
            renews = str(self.renews)
        else:
            renews = self.renews

        renewed_by: None | str | Unset
        if isinstance(self.renewed_by, Unset):
            renewed_by = UNSET
        elif isinstance(self.renewed_by, UUID):
            renewed_by = str(self.renewed_by)
        else:
            renewed_by = self.renewed_by

        renewal_chain: list[dict[str, Any]] | None | Unset
        if isinstance(self.renewal_chain, Unset):
            renewal_chain = UNSET
        elif isinstance(self.renewal_chain, list):
            renewal_chain = []
            for renewal_chain_type_0_item_data in self.renewal_chain:
                renewal_chain_type_0_item = renewal_chain_type_0_item_data.to_dict()
                renewal_chain.append(renewal_chain_type_0_item)

        else:
            renewal_chain = self.renewal_chain

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
                "template": template,
                "uses_log": uses_log,
            }
        )
        if test is not UNSET:
            field_dict["test"] = test
        if paused_by is not UNSET:
            field_dict["paused_by"] = paused_by
        if notify_subject is not UNSET:
            field_dict["notify_subject"] = notify_subject
        if return_url is not UNSET:
            field_dict["return_url"] = return_url
        if viewed_at is not UNSET:
            field_dict["viewed_at"] = viewed_at
        if reminder_sent_at is not UNSET:
            field_dict["reminder_sent_at"] = reminder_sent_at
        if renews is not UNSET:
            field_dict["renews"] = renews
        if renewed_by is not UNSET:
            field_dict["renewed_by"] = renewed_by
        if renewal_chain is not UNSET:
            field_dict["renewal_chain"] = renewal_chain

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.authorization_detail_status_times import (
            AuthorizationDetailStatusTimes,  # noqa: PLC0415
        )
        from ..models.masked_subject import MaskedSubject  # noqa: PLC0415
        from ..models.renewal_link import RenewalLink  # noqa: PLC0415
        from ..models.template_ref import TemplateRef  # noqa: PLC0415
        from ..models.use_log_entry import UseLogEntry  # noqa: PLC0415

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

        status_times = AuthorizationDetailStatusTimes.from_dict(d.pop("status_times"))

        subject = MaskedSubject.from_dict(d.pop("subject"))

        template = TemplateRef.from_dict(d.pop("template"))

        uses_log = []
        _uses_log = d.pop("uses_log")
        for uses_log_item_data in _uses_log:
            uses_log_item = UseLogEntry.from_dict(uses_log_item_data)

            uses_log.append(uses_log_item)

        test = d.pop("test", UNSET)

        def _parse_paused_by(data: object) -> AuthorizationDetailPausedByType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                paused_by_type_0 = AuthorizationDetailPausedByType0(data)

                return paused_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AuthorizationDetailPausedByType0 | None | Unset, data)

        paused_by = _parse_paused_by(d.pop("paused_by", UNSET))

        def _parse_notify_subject(data: object) -> Literal["sms"] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            notify_subject_type_0 = cast(Literal["sms"], data)
            if notify_subject_type_0 != "sms":
                raise ValueError(
                    f"notify_subject_type_0 must match const 'sms', got '{notify_subject_type_0}'"
                )
            return notify_subject_type_0
            return cast(Literal["sms"] | None | Unset, data)

        notify_subject = _parse_notify_subject(d.pop("notify_subject", UNSET))

        def _parse_return_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        return_url = _parse_return_url(d.pop("return_url", UNSET))

        def _parse_viewed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                viewed_at_type_0 = datetime.datetime.fromisoformat(data)

                return viewed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        viewed_at = _parse_viewed_at(d.pop("viewed_at", UNSET))

        def _parse_reminder_sent_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reminder_sent_at_type_0 = datetime.datetime.fromisoformat(data)

                return reminder_sent_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        reminder_sent_at = _parse_reminder_sent_at(d.pop("reminder_sent_at", UNSET))

        def _parse_renews(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                renews_type_0 = UUID(data)

                return renews_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        renews = _parse_renews(d.pop("renews", UNSET))

        def _parse_renewed_by(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                renewed_by_type_0 = UUID(data)

                return renewed_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        renewed_by = _parse_renewed_by(d.pop("renewed_by", UNSET))

        def _parse_renewal_chain(data: object) -> list[RenewalLink] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                renewal_chain_type_0 = []
                _renewal_chain_type_0 = data
                for renewal_chain_type_0_item_data in _renewal_chain_type_0:
                    renewal_chain_type_0_item = RenewalLink.from_dict(
                        renewal_chain_type_0_item_data
                    )

                    renewal_chain_type_0.append(renewal_chain_type_0_item)

                return renewal_chain_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[RenewalLink] | None | Unset, data)

        renewal_chain = _parse_renewal_chain(d.pop("renewal_chain", UNSET))

        authorization_detail = cls(
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
            template=template,
            uses_log=uses_log,
            test=test,
            paused_by=paused_by,
            notify_subject=notify_subject,
            return_url=return_url,
            viewed_at=viewed_at,
            reminder_sent_at=reminder_sent_at,
            renews=renews,
            renewed_by=renewed_by,
            renewal_chain=renewal_chain,
        )

        authorization_detail.additional_properties = d
        return authorization_detail

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
