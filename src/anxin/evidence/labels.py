"""Readable words for what a verification report shows a person: certificate names with
attribute names instead of OIDs, statuses and purposes in zh-CN and en, and library
enum reprs (``ModificationLevel.OTHER``) turned into sentences.

A court's expert reads the report; a raw ``2.5.4.5=`` or ``loan_approval`` is a code to
look up, not an answer. The JSON keeps the codes beside the labels.

>>> readable_detail("coverage (SignatureCoverageLevel.ENTIRE_REVISION)")
'coverage (the entire signed revision)'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from anxin.domain.vocabulary import CATEGORY_LABELS, PURPOSE_LABELS

ATTRIBUTE_NAMES: dict[x509.ObjectIdentifier, str] = {
    NameOID.COMMON_NAME: "CN",
    NameOID.SERIAL_NUMBER: "serialNumber (id commitment)",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.EMAIL_ADDRESS: "emailAddress",
}
_DOTTED: dict[str, str] = {}
_OID_WORDS = {"2.5.4.5": "serialNumber (id commitment)", "2.5.4.97": "organizationIdentifier"}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "pending": ("待签署", "PENDING"),
    "active": ("有效", "ACTIVE"),
    "paused": ("已暂停", "PAUSED"),
    "exhausted": ("次数已用尽", "EXHAUSTED"),
    "expired": ("已过期", "EXPIRED"),
    "revoked": ("已撤销", "REVOKED"),
    "declined": ("已拒绝", "DECLINED"),
    "cancelled": ("已取消", "CANCELLED"),
    "lapsed": ("请求已失效", "LAPSED"),
}
PARTY_LABELS: dict[str, tuple[str, str]] = {
    "subject": ("本人", "the person"),
    "institution": ("机构", "the institution"),
    "platform": ("平台", "the platform"),
}
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "portal": ("个人门户", "the personal portal"),
    "api": ("机构接口", "the institution API"),
    "console": ("运营控制台", "the operator console"),
}

_DOTTED.update({oid.dotted_string: label for oid, label in ATTRIBUTE_NAMES.items()})

_ENUM_WORDS = {
    "ModificationLevel.NONE": "no modification",
    "ModificationLevel.LTA_UPDATES": "only validation data and document timestamps added",
    "ModificationLevel.FORM_FILLING": "form fields filled in after signing",
    "ModificationLevel.ANNOTATIONS": "annotations added after signing",
    "ModificationLevel.OTHER": "other changes after signing (not allowed)",
    "SignatureCoverageLevel.ENTIRE_FILE": "the entire file",
    "SignatureCoverageLevel.ENTIRE_REVISION": "the entire signed revision",
    "SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START": "a block from the start, not a "
                                                          "whole revision",
    "SignatureCoverageLevel.UNCLEAR": "an unclear part of the file",
}
_BARE_COVERAGE = {"ENTIRE_FILE": "the entire file",
                  "ENTIRE_REVISION": "the entire signed revision"}
_ENUM_RE = re.compile(r"<?(\b(?:ModificationLevel|SignatureCoverageLevel)\.[A-Z_]+)(?::[^>]*>)?")
_OID_RE = re.compile(r"\b(2\.5\.4\.\d+)=")
_BARE_RE = re.compile(r"\((ENTIRE_FILE|ENTIRE_REVISION)\)")
_COVERAGE_RE = re.compile(r"coverage=(ENTIRE_FILE|ENTIRE_REVISION)")
_ADES_RE = re.compile(r"\bAdES(?:Indeterminate|Failure|Passed)\.([A-Z_]+)")


def readable_name(name: x509.Name) -> str:
    """``CN=Zhang San, serialNumber (id commitment)=11e7…``: most specific first."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        for attr in rdn:
            dotted = attr.oid.dotted_string
            key = ATTRIBUTE_NAMES.get(attr.oid) or _OID_WORDS.get(dotted, dotted)
            value = attr.value if isinstance(attr.value, str) else attr.value.hex()
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def readable_asn1_name(name: Any) -> str:
    """The same for an asn1crypto ``Name`` (CRL issuers, OCSP responders)."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        for attr in rdn:
            dotted = attr["type"].dotted
            key = _DOTTED.get(dotted, dotted)
            parts.append(f"{key}={attr['value'].native}")
    return ", ".join(parts)


def readable_detail(text: str) -> str:
    """A check's detail with library enum reprs and attribute OIDs put into words."""
    text = _ENUM_RE.sub(lambda m: _ENUM_WORDS.get(m.group(1), m.group(1).split(".")[-1]
                                                  .replace("_", " ").lower()), text)
    text = _BARE_RE.sub(lambda m: f"({_BARE_COVERAGE[m.group(1)]})", text)
    text = _COVERAGE_RE.sub(lambda m: f"coverage: {_BARE_COVERAGE[m.group(1)]}", text)
    text = _ADES_RE.sub(lambda m: m.group(1), text)
    return _OID_RE.sub(lambda m: f"{_OID_WORDS.get(m.group(1), m.group(1))}=", text)


def bilingual(pair: tuple[str, str]) -> str:
    return f"{pair[0]} / {pair[1]}"


def status_label(status: str | None) -> str:
    if not status:
        return "未知 / UNKNOWN"
    return bilingual(STATUS_LABELS.get(status, (status, status.upper())))


def party_label(party: str | None, channel: str | None = None) -> str:
    zh, en = PARTY_LABELS.get(party or "", (party or "—", party or "—"))
    if channel:
        czh, cen = CHANNEL_LABELS.get(channel, (channel, channel))
        return f"{zh}（经{czh}） / {en}, via {cen}"
    return f"{zh} / {en}"


def purpose_text(code: str | None) -> str:
    if not code:
        return "—"
    labels = PURPOSE_LABELS.get(code)
    return f"{labels['zh-CN']} / {labels['en']}" if labels else code


def scope_text(codes: Sequence[str] | None) -> str:
    if not codes:
        return "—"
    zh = "、".join(CATEGORY_LABELS.get(c, {}).get("zh-CN", c) for c in codes)
    en = ", ".join(CATEGORY_LABELS.get(c, {}).get("en", c) for c in codes)
    return f"{zh} / {en}"
