from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.locale import Locale

T = TypeVar("T", bound="TemplateDetail")


@_attrs_define
class TemplateDetail:
    """A version of a template, with the numbers of all its versions.

    Attributes:
        id (UUID):
        code (str):
        version (int):
        title (str):
        purpose (str):
        data_scope (list[str]):
        body (str):
        locale (Locale):
        validity_days (int):
        max_uses (int):
        require_passkey (bool):
        request_ttl_minutes (int):
        content_sha256 (str):
        created_at (datetime.datetime):
        versions (list[int]):
    """

    id: UUID
    code: str
    version: int
    title: str
    purpose: str
    data_scope: list[str]
    body: str
    locale: Locale
    validity_days: int
    max_uses: int
    require_passkey: bool
    request_ttl_minutes: int
    content_sha256: str
    created_at: datetime.datetime
    versions: list[int]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        code = self.code

        version = self.version

        title = self.title

        purpose = self.purpose

        data_scope = self.data_scope

        body = self.body

        locale = self.locale.value

        validity_days = self.validity_days

        max_uses = self.max_uses

        require_passkey = self.require_passkey

        request_ttl_minutes = self.request_ttl_minutes

        content_sha256 = self.content_sha256

        created_at = self.created_at.isoformat()

        versions = self.versions

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "code": code,
                "version": version,
                "title": title,
                "purpose": purpose,
                "data_scope": data_scope,
                "body": body,
                "locale": locale,
                "validity_days": validity_days,
                "max_uses": max_uses,
                "require_passkey": require_passkey,
                "request_ttl_minutes": request_ttl_minutes,
                "content_sha256": content_sha256,
                "created_at": created_at,
                "versions": versions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        code = d.pop("code")

        version = d.pop("version")

        title = d.pop("title")

        purpose = d.pop("purpose")

        data_scope = cast(list[str], d.pop("data_scope"))

        body = d.pop("body")

        locale = Locale(d.pop("locale"))

        validity_days = d.pop("validity_days")

        max_uses = d.pop("max_uses")

        require_passkey = d.pop("require_passkey")

        request_ttl_minutes = d.pop("request_ttl_minutes")

        content_sha256 = d.pop("content_sha256")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        versions = cast(list[int], d.pop("versions"))

        template_detail = cls(
            id=id,
            code=code,
            version=version,
            title=title,
            purpose=purpose,
            data_scope=data_scope,
            body=body,
            locale=locale,
            validity_days=validity_days,
            max_uses=max_uses,
            require_passkey=require_passkey,
            request_ttl_minutes=request_ttl_minutes,
            content_sha256=content_sha256,
            created_at=created_at,
            versions=versions,
        )

        template_detail.additional_properties = d
        return template_detail

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
