from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.locale import Locale
from ..types import UNSET, Unset

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
    locale: Locale | Unset = UNSET
    validity_days: int | Unset = 30
    max_uses: int | Unset = 1
    require_passkey: bool | Unset = False
    request_ttl_minutes: int | Unset = 1440

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        title = self.title

        purpose = self.purpose

        data_scope = self.data_scope

        body = self.body

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
        d = dict(src_dict)
        code = d.pop("code")

        title = d.pop("title")

        purpose = d.pop("purpose")

        data_scope = cast(list[str], d.pop("data_scope"))

        body = d.pop("body")

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
            locale=locale,
            validity_days=validity_days,
            max_uses=max_uses,
            require_passkey=require_passkey,
            request_ttl_minutes=request_ttl_minutes,
        )

        return template_request
