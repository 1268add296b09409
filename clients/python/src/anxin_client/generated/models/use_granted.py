from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.authorization_status import AuthorizationStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="UseGranted")


@_attrs_define
class UseGranted:
    """The gate granted one use.

    Attributes:
        use_id (UUID):
        uses (int): Uses spent, this one included
        uses_remaining (int):
        status (AuthorizationStatus): The states of an authorization (``anxin.domain.states.Status``; a unit test keeps
            the two equal).
        receipt (str): The signed statement of the grant, a compact JWS: ES256 by the platform seal (`/.well-
            known/jwks.json`, `/pki/seal.crt`) in the intl and dual profiles; alg SM2SM3 by the SM2 seal (`/.well-
            known/jwks-sm2.json`, `/pki/sm2/seal.crt`) in sm
        granted_at (datetime.datetime):
        receipt_sm2 (None | str | Unset): dual profile only: the same payload as `receipt`, signed SM2SM3 by the SM2
            seal
    """

    use_id: UUID
    uses: int
    uses_remaining: int
    status: AuthorizationStatus
    receipt: str
    granted_at: datetime.datetime
    receipt_sm2: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        use_id = str(self.use_id)

        uses = self.uses

        uses_remaining = self.uses_remaining

        status = self.status.value

        receipt = self.receipt

        granted_at = self.granted_at.isoformat()

        receipt_sm2: None | str | Unset
        if isinstance(self.receipt_sm2, Unset):
            receipt_sm2 = UNSET
        else:
            receipt_sm2 = self.receipt_sm2

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "use_id": use_id,
                "uses": uses,
                "uses_remaining": uses_remaining,
                "status": status,
                "receipt": receipt,
                "granted_at": granted_at,
            }
        )
        if receipt_sm2 is not UNSET:
            field_dict["receipt_sm2"] = receipt_sm2

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        use_id = UUID(d.pop("use_id"))

        uses = d.pop("uses")

        uses_remaining = d.pop("uses_remaining")

        status = AuthorizationStatus(d.pop("status"))

        receipt = d.pop("receipt")

        granted_at = datetime.datetime.fromisoformat(d.pop("granted_at"))

        def _parse_receipt_sm2(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        receipt_sm2 = _parse_receipt_sm2(d.pop("receipt_sm2", UNSET))

        use_granted = cls(
            use_id=use_id,
            uses=uses,
            uses_remaining=uses_remaining,
            status=status,
            receipt=receipt,
            granted_at=granted_at,
            receipt_sm2=receipt_sm2,
        )

        use_granted.additional_properties = d
        return use_granted

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
