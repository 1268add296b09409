from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
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
        valid_until (datetime.datetime | None | Unset): Shortens the template's validity, never extends it (with a time
            zone)
        max_uses (int | None | Unset): Lowers the template's `max_uses`, never raises it
        callback_url (None | str | Unset): An http(s) URL to POST status changes to (signed `Anxin-Signature`)
    """

    template: str
    subject: SubjectIdentity
    reference: str
    valid_until: datetime.datetime | None | Unset = UNSET
    max_uses: int | None | Unset = UNSET
    callback_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        template = self.template

        subject = self.subject.to_dict()

        reference = self.reference

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

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "template": template,
                "subject": subject,
                "reference": reference,
            }
        )
        if valid_until is not UNSET:
            field_dict["valid_until"] = valid_until
        if max_uses is not UNSET:
            field_dict["max_uses"] = max_uses
        if callback_url is not UNSET:
            field_dict["callback_url"] = callback_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.subject_identity import SubjectIdentity  # noqa: PLC0415

        d = dict(src_dict)
        template = d.pop("template")

        subject = SubjectIdentity.from_dict(d.pop("subject"))

        reference = d.pop("reference")

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

        authorization_request = cls(
            template=template,
            subject=subject,
            reference=reference,
            valid_until=valid_until,
            max_uses=max_uses,
            callback_url=callback_url,
        )

        return authorization_request
