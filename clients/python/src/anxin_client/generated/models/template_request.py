from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.locale import Locale
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.dated_range import DatedRange
    from ..models.frequency import Frequency
    from ..models.lookback_range import LookbackRange


T = TypeVar("T", bound="TemplateRequest")


@_attrs_define
class TemplateRequest:
    """A template: the letter the person signs, and the terms every request from it gets.
    The same content again answers 200 and the current version; other content makes a
    new version (201).

        Attributes:
            code (str): Your name for the template: 1 to 64 letters, digits, `-`, `_`, `.`
            title (str):
            purpose (str): A purpose code of this deployment
            data_scope (list[str]): Data categories, each once
            body (str): The letter text (Jinja2, sandboxed) with `{{ placeholders }}`: `subject_name`, `subject_id_type`,
                `subject_id_number`, `institution`, `purpose`, `scope`, `valid_from`, `valid_until`, `validity_days`,
                `max_uses`, `reference`
            frequency (Frequency | None | Unset):
            data_range (DatedRange | LookbackRange | None | Unset): The period of the person's data a query may cover; the
                gate then needs `data_from` and `data_to`
            data_life_days (int | None | Unset): Days you may keep what a use fetched, from each granted use; then attest
                the deletion (`POST /v1/authorizations/{id}/deletion`)
            locale (Locale | Unset):
            validity_days (int | Unset):  Default: 30.
            max_uses (int | Unset):  Default: 1.
            require_passkey (bool | Unset):  Default: False.
            request_ttl_minutes (int | Unset): How long the person has to sign a request Default: 1440.
    """

    code: str
    title: str
    purpose: str
    data_scope: list[str]
    body: str
    frequency: Frequency | None | Unset = UNSET
    data_range: DatedRange | LookbackRange | None | Unset = UNSET
    data_life_days: int | None | Unset = UNSET
    locale: Locale | Unset = UNSET
    validity_days: int | Unset = 30
    max_uses: int | Unset = 1
    require_passkey: bool | Unset = False
    request_ttl_minutes: int | Unset = 1440

    def to_dict(self) -> dict[str, Any]:
        from ..models.dated_range import DatedRange  # noqa: PLC0415
        from ..models.frequency import Frequency  # noqa: PLC0415
        from ..models.lookback_range import LookbackRange  # noqa: PLC0415

        code = self.code

        title = self.title

        purpose = self.purpose

        data_scope = self.data_scope

        body = self.body

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

        locale: str | Unset = UNSET
        if not isinstance(self.locale, Unset):
            locale = self.locale.value

        validity_days = self.validity_days

        max_uses = self.max_uses

        require_passkey = self.require_passkey

        request_ttl_minutes = self.request_ttl_minutes

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "code": code,
                "title": title,
                "purpose": purpose,
                "data_scope": data_scope,
                "body": body,
            }
        )
        if frequency is not UNSET:
            field_dict["frequency"] = frequency
        if data_range is not UNSET:
            field_dict["data_range"] = data_range
        if data_life_days is not UNSET:
            field_dict["data_life_days"] = data_life_days
        if locale is not UNSET:
            field_dict["locale"] = locale
        if validity_days is not UNSET:
            field_dict["validity_days"] = validity_days
        if max_uses is not UNSET:
            field_dict["max_uses"] = max_uses
        if require_passkey is not UNSET:
            field_dict["require_passkey"] = require_passkey
        if request_ttl_minutes is not UNSET:
            field_dict["request_ttl_minutes"] = request_ttl_minutes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.dated_range import DatedRange  # noqa: PLC0415
        from ..models.frequency import Frequency  # noqa: PLC0415
        from ..models.lookback_range import LookbackRange  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        title = d.pop("title")

        purpose = d.pop("purpose")

        data_scope = cast(list[str], d.pop("data_scope"))

        body = d.pop("body")

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

        _locale = d.pop("locale", UNSET)
        locale: Locale | Unset
        if isinstance(_locale, Unset):
            locale = UNSET
        else:
            locale = Locale(_locale)

        validity_days = d.pop("validity_days", UNSET)

        max_uses = d.pop("max_uses", UNSET)

        require_passkey = d.pop("require_passkey", UNSET)

        request_ttl_minutes = d.pop("request_ttl_minutes", UNSET)

        template_request = cls(
            code=code,
            title=title,
            purpose=purpose,
            data_scope=data_scope,
            body=body,
            frequency=frequency,
            data_range=data_range,
            data_life_days=data_life_days,
            locale=locale,
            validity_days=validity_days,
            max_uses=max_uses,
            require_passkey=require_passkey,
            request_ttl_minutes=request_ttl_minutes,
        )

        return template_request
