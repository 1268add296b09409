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

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.dated_range import DatedRange
    from ..models.frequency import Frequency
    from ..models.lookback_range import LookbackRange
    from ..models.subject_identity import SubjectIdentity


T = TypeVar("T", bound="AuthorizationRequest")


@_attrs_define
class AuthorizationRequest:
    """A request for the person's authorization, from one of your templates.

    Attributes:
        template (str): The template's code
        subject (SubjectIdentity): The person asked to sign. The id number and mobile are encrypted at rest and
            masked in every answer.
        reference (str): Your business reference (a loan application number)
        frequency (Frequency | None | Unset):
        data_range (DatedRange | LookbackRange | None | Unset): The period of the person's data a query may cover; the
            gate then needs `data_from` and `data_to`
        data_life_days (int | None | Unset): Days you may keep what a use fetched, from each granted use; then attest
            the deletion (`POST /v1/authorizations/{id}/deletion`)
        valid_until (datetime.datetime | None | Unset): Shortens the template's validity, never extends it (with a time
            zone)
        max_uses (int | None | Unset): Lowers the template's `max_uses`, never raises it
        callback_url (None | str | Unset): An http(s) URL to POST status changes to (signed `Anxin-Signature`)
        notify_subject (Literal['sms'] | None | Unset): `sms`: Anxin sends `signing_url` to the subject's mobile by SMS
            (and one reminder before the request lapses). Absent: Anxin sends nothing; you deliver `signing_url` yourself
        return_url (None | str | Unset): Where the signing page sends the person after signing or declining, with
            `?authorization_id=…&status=signed|declined`; must start with one of your `return_url_prefixes` (`PATCH
            /v1/institution`)
        renews (None | Unset | UUID): The `id` of one of your authorizations in force that this request renews: same
            purpose, same person; a new letter to sign, valid from its signing (docs/api.md Renewal)
    """

    template: str
    subject: SubjectIdentity
    reference: str
    frequency: Frequency | None | Unset = UNSET
    data_range: DatedRange | LookbackRange | None | Unset = UNSET
    data_life_days: int | None | Unset = UNSET
    valid_until: datetime.datetime | None | Unset = UNSET
    max_uses: int | None | Unset = UNSET
    callback_url: None | str | Unset = UNSET
    notify_subject: Literal["sms"] | None | Unset = UNSET
    return_url: None | str | Unset = UNSET
    renews: None | Unset | UUID = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.dated_range import DatedRange  # noqa: PLC0415
        from ..models.frequency import Frequency  # noqa: PLC0415
        from ..models.lookback_range import LookbackRange  # noqa: PLC0415

        template = self.template

        subject = self.subject.to_dict()

        reference = self.reference

        frequency: dict[str, Any] | None | Unset
        if isinstance(self.frequency, Unset):
            frequency = UNSET
        elif isinstance(self.frequency, Frequency):
            frequency = self.frequency.to_dict()
        else:
            frequency = self.frequency

        data_range: dict[str, Any] | None | Unset
        if isinstance(self.data_range, Unset):
            data_range = UNSET
        elif isinstance(self.data_range, LookbackRange):
            data_range = self.data_range.to_dict()
        elif isinstance(self.data_range, DatedRange):
            data_range = self.data_range.to_dict()
        else:
            data_range = self.data_range

        data_life_days: int | None | Unset
        if isinstance(self.data_life_days, Unset):
            data_life_days = UNSET
        else:
            data_life_days = self.data_life_days

        valid_until: None | str | Unset
        if isinstance(self.valid_until, Unset):
            valid_until = UNSET
        elif isinstance(self.valid_until, datetime.datetime):
            valid_until = self.valid_until.isoformat()
        else:
            valid_until = self.valid_until

        max_uses: int | None | Unset
        if isinstance(self.max_uses, Unset):
            max_uses = UNSET
        else:
            max_uses = self.max_uses

        callback_url: None | str | Unset
        if isinstance(self.callback_url, Unset):
            callback_url = UNSET
        else:
            callback_url = self.callback_url

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

        renews: None | str | Unset
        if isinstance(self.renews, Unset):
            renews = UNSET
        elif isinstance(self.renews, UUID):
            renews = str(self.renews)
        else:
            renews = self.renews

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "template": template,
                "subject": subject,
                "reference": reference,
            }
        )
        if frequency is not UNSET:
            field_dict["frequency"] = frequency
        if data_range is not UNSET:
            field_dict["data_range"] = data_range
        if data_life_days is not UNSET:
            field_dict["data_life_days"] = data_life_days
        if valid_until is not UNSET:
            field_dict["valid_until"] = valid_until
        if max_uses is not UNSET:
            field_dict["max_uses"] = max_uses
        if callback_url is not UNSET:
            field_dict["callback_url"] = callback_url
        if notify_subject is not UNSET:
            field_dict["notify_subject"] = notify_subject
        if return_url is not UNSET:
            field_dict["return_url"] = return_url
        if renews is not UNSET:
            field_dict["renews"] = renews

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.dated_range import DatedRange  # noqa: PLC0415
        from ..models.frequency import Frequency  # noqa: PLC0415
        from ..models.lookback_range import LookbackRange  # noqa: PLC0415
        from ..models.subject_identity import SubjectIdentity  # noqa: PLC0415

        d = dict(src_dict)
        template = d.pop("template")

        subject = SubjectIdentity.from_dict(d.pop("subject"))

        reference = d.pop("reference")

        def _parse_frequency(data: object) -> Frequency | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                frequency_type_0 = Frequency.from_dict(data)

                return frequency_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Frequency | None | Unset, data)

        frequency = _parse_frequency(d.pop("frequency", UNSET))

        def _parse_data_range(data: object) -> DatedRange | LookbackRange | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                data_range_type_0 = LookbackRange.from_dict(data)

                return data_range_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                data_range_type_1 = DatedRange.from_dict(data)

                return data_range_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DatedRange | LookbackRange | None | Unset, data)

        data_range = _parse_data_range(d.pop("data_range", UNSET))

        def _parse_data_life_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        data_life_days = _parse_data_life_days(d.pop("data_life_days", UNSET))

        def _parse_valid_until(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                valid_until_type_0 = datetime.datetime.fromisoformat(data)

                return valid_until_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        valid_until = _parse_valid_until(d.pop("valid_until", UNSET))

        def _parse_max_uses(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_uses = _parse_max_uses(d.pop("max_uses", UNSET))

        def _parse_callback_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        callback_url = _parse_callback_url(d.pop("callback_url", UNSET))

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

        authorization_request = cls(
            template=template,
            subject=subject,
            reference=reference,
            frequency=frequency,
            data_range=data_range,
            data_life_days=data_life_days,
            valid_until=valid_until,
            max_uses=max_uses,
            callback_url=callback_url,
            notify_subject=notify_subject,
            return_url=return_url,
            renews=renews,
        )

        return authorization_request
