"""The ``/v1`` API's request and response models: what ``/openapi.json`` publishes.

These pydantic models are the contract an institution's generated client is built from,
so their class names are the names a client shows (``AuthorizationRequest``,
``Authorization``, ``UseGranted``; ``Problem`` is in :mod:`anxin.web.problems`). The
pattern for a route (see docs/api.md, "Adding a route"):

- the body is a ``Strict`` model (no unknown members, no type coercion: the schema says
  exactly what the route accepts, so a schema-valid request is never refused for its
  shape, and a schema-invalid one always is);
- the answer is a ``Reply`` model named in ``response_model=`` (FastAPI validates the
  route's dict against it, so the schema cannot drift from the product; ``extra="allow"``
  keeps members a newer release adds, as the versioning policy promises);
- errors are listed with :func:`anxin.web.problems.problems` (the registry's codes);
- every model carries an example (``json_schema_extra={"examples": [...]}``), which
  :mod:`anxin.web.api.openapi` copies to each response and request that uses it.

Members whose allowed values are configured per deployment (purpose codes, data
categories) are marked with :data:`PURPOSE` / :data:`DATA_CATEGORY`; the OpenAPI builder
replaces the mark with the deployment's enum.

>>> UseRequest.model_validate({"purpose": "loan_approval", "reference": "Q-1",
...                            "operator": "officer-7", "data_item": "credit_report"}).purpose
'loan_approval'
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic import Strict as NoCoercion

from anxin.domain.subject import IdType
from anxin.domain.terms import (
    MAX_DATA_LIFE_DAYS,
    MAX_FREQUENCY,
    MAX_LOOKBACK_MONTHS,
    TermsV2,
    parse_terms,
)
from anxin.error_codes import Code
from anxin.web.input_guard import LongText, Text

# The mark the OpenAPI builder replaces with the deployment's configured values.
VOCABULARY_MARK = "x-anxin-vocabulary"
PURPOSE: dict[str, Any] = {VOCABULARY_MARK: "purposes"}
DATA_CATEGORY: dict[str, Any] = {VOCABULARY_MARK: "data_categories"}

# The edge checks these patterns before the domain rules (anxin.web.api.v1), with the
# domain's codes: the schema and the product refuse exactly the same shapes.
ID_NUMBER_PATTERN = r"^[0-9A-Za-z]{5,20}$"
MOBILE_PATTERN = r"^(1[3-9][0-9]{9}|\+[1-9][0-9]{6,14})$"
TEMPLATE_CODE_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"

# Times are ISO 8601 / RFC 3339 with an offset, as the product writes them
# (``2026-12-01T17:39:01.847016+00:00``); typed as strings so the answer keeps its form.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Sha256Hex = Annotated[str, WithJsonSchema({"type": "string", "pattern": "^[0-9a-f]{64}$"})]
Uuid = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]

EXAMPLE_AUTH_ID = "f8e94b34-0aa5-4a1c-b769-010f9169b4f6"
EXAMPLE_TIME = "2026-12-01T17:39:01.847016+00:00"
EXAMPLE_SHA = "fcca3c6c9f28ba3684a575f20605bc2830673e33585d9e16beb8a8a46a24c067"


def no_text_for_numbers(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("Input should be a valid integer")
    return value


# Request integers and booleans take no text: ``"5"`` for an integer, ``1`` or ``"yes"``
# for a boolean are refused as the schema says (pydantic's lax mode took them). ``5.0`` is
# an integer in JSON Schema and is taken; ``5.5`` is not. Strings are never coerced.
StrictInt = Annotated[int, BeforeValidator(no_text_for_numbers)]
StrictBool = Annotated[bool, NoCoercion()]


def _date_text_only(value: Any) -> Any:
    """A date as JSON says it, "2026-12-01": not a number, which lax mode would read as a
    Unix time (FastAPI validates the parsed body, so strict mode would refuse the text)."""
    if isinstance(value, int | float | bool):
        raise ValueError("a date is a string YYYY-MM-DD")
    return value


StrictDate = Annotated[dt.date, BeforeValidator(_date_text_only)]
# Optional and bounded: bounds in the type, or they publish as `ge` (docs/api.md).
MaxUses = Annotated[int, Ge(1), Le(10000), BeforeValidator(no_text_for_numbers)]


class Strict(BaseModel):
    """A request body: unknown members and coerced types are refused (422)."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """An answer: members a newer release adds pass through (additive changes)."""

    model_config = ConfigDict(extra="allow")


def _examples(*values: dict[str, Any]) -> dict[str, Any]:
    return {"examples": list(values)}


class AuthorizationStatus(StrEnum):
    """The states of an authorization (``anxin.domain.states.Status``; a unit test keeps
    the two equal)."""

    PENDING = "pending"
    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    REVOKED = "revoked"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"
    PAUSED = "paused"


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


# ---------------------------------------------------------------- templates

TEMPLATE_BODY_EXAMPLE = (
    "I, {{ subject_name }} ({{ subject_id_type }} {{ subject_id_number }}), authorize "
    "{{ institution }} to query my {{ scope }} for {{ purpose }} only, from "
    "{{ valid_from }} until {{ valid_until }}, at most {{ max_uses }} time(s). "
    "Reference {{ reference }}.")


class Frequency(Strict):
    """At most `max_uses` granted uses per calendar `per` (the deployment's time zone)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples(
        {"max_uses": 1, "per": "month"}))

    max_uses: StrictInt = Field(ge=1, le=MAX_FREQUENCY)
    per: Literal["day", "week", "month"]


class LookbackRange(Strict):
    """The query may cover the last `lookback_months`, counted back from each gate call."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples(
        {"lookback_months": 24}))

    lookback_months: StrictInt = Field(ge=1, le=MAX_LOOKBACK_MONTHS)


class DatedRange(Strict):
    """The query may cover the days `from` to `to` (inclusive; `from` not after `to`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra=_examples(
                                  {"from": "2024-01-01", "to": "2025-12-31"}))

    from_: StrictDate = Field(alias="from")
    to: StrictDate


class TermsMembers(Strict):
    """Terms v2 (CONTRACT §8), each optional; a request's narrow its template's
    (422 `terms_exceed_template` otherwise)."""

    frequency: Frequency | None = None
    data_range: LookbackRange | DatedRange | None = Field(None, description=(
        "The period of the person's data a query may cover; the gate then needs "
        "`data_from` and `data_to`"))
    data_life_days: StrictInt | None = Field(None, ge=1, le=MAX_DATA_LIFE_DAYS, description=(
        "Days you may keep what a use fetched, from each granted use; then attest the "
        "deletion (`POST /v1/authorizations/{id}/deletion`)"))

    def terms(self) -> TermsV2:
        """The domain's value of these members (validated again there)."""
        raw = self.model_dump(by_alias=True, exclude_none=True, mode="json",
                              include={"frequency", "data_range", "data_life_days"})
        return parse_terms(raw)


class TemplateRequest(TermsMembers):
    """A template: the letter the person signs, and the terms every request from it gets.
    The same content again answers 200 and the current version; other content makes a
    new version (201)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples({
        "code": "credit-check", "title": "Credit check", "purpose": "loan_approval",
        "data_scope": ["credit_report", "credit_score"], "body": TEMPLATE_BODY_EXAMPLE,
        "locale": "en", "validity_days": 30, "max_uses": 1}))

    code: Annotated[Text, StringConstraints(pattern=TEMPLATE_CODE_PATTERN)] = Field(
        description="Your name for the template: 1 to 64 letters, digits, `-`, `_`, `.`")
    title: Text = Field(min_length=1, max_length=200)
    purpose: Text = Field(description="A purpose code of this deployment",
                          json_schema_extra=PURPOSE)
    data_scope: list[Annotated[Text, Field(json_schema_extra=DATA_CATEGORY)]] = Field(
        min_length=1, description="Data categories, each once",
        json_schema_extra={"uniqueItems": True})
    body: LongText = Field(min_length=1, description=(
        "The letter text (Jinja2, sandboxed) with `{{ placeholders }}`: `subject_name`, "
        "`subject_id_type`, `subject_id_number`, `institution`, `purpose`, `scope`, "
        "`valid_from`, `valid_until`, `validity_days`, `max_uses`, `reference`"))
    locale: Locale = Locale.ZH_CN
    validity_days: StrictInt = Field(30, ge=1, le=3660)
    max_uses: StrictInt = Field(1, ge=1, le=10000)
    require_passkey: StrictBool = False
    request_ttl_minutes: StrictInt = Field(1440, ge=5, le=43200, description=(
        "How long the person has to sign a request"))


_TEMPLATE_EXAMPLE: dict[str, Any] = {
    "id": "a58b89de-f3de-48bf-82b0-ad34f3ac6624", "code": "credit-check", "version": 1,
    "title": "Credit check", "purpose": "loan_approval",
    "data_scope": ["credit_report", "credit_score"], "body": TEMPLATE_BODY_EXAMPLE,
    "locale": "en", "validity_days": 30, "max_uses": 1, "require_passkey": False,
    "request_ttl_minutes": 1440,
    "content_sha256": "c33d83cd6ac2c747d8bfc7c0ef8d1d30897bc5c34a6f4e47f0c8e195685428eb",
    "created_at": EXAMPLE_TIME}


class Template(Reply):
    """One version of a template."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples(_TEMPLATE_EXAMPLE))

    id: Uuid
    code: str
    version: int = Field(ge=1)
    title: str
    purpose: str
    data_scope: list[str]
    body: str
    locale: Locale
    validity_days: int
    max_uses: int
    require_passkey: bool
    request_ttl_minutes: int
    content_sha256: Sha256Hex
    created_at: Timestamp


class TemplateDetail(Template):
    """A version of a template, with the numbers of all its versions."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples(
        {**_TEMPLATE_EXAMPLE, "versions": [1]}))

    versions: list[int]


class TemplatePage(Reply):
    """A page of your templates (their current versions), by code."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "items": [_TEMPLATE_EXAMPLE], "page": 1, "page_size": 50, "total": 1,
        "next_page": None}))

    items: list[Template]
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    total: int = Field(ge=0)
    next_page: int | None = Field(description="The next page's number, or null on the last")


# ---------------------------------------------------------------- authorizations


class SubjectIdentity(Strict):
    """The person asked to sign. The id number and mobile are encrypted at rest and
    masked in every answer."""

    name: Text = Field(min_length=1, max_length=100)
    id_type: IdType
    # The patterns are checked at the edge with the domain's codes (invalid_id_number,
    # invalid_mobile), not by pydantic (validation_failed): see anxin.web.api.v1.
    id_number: Text = Field(json_schema_extra={"pattern": ID_NUMBER_PATTERN}, description=(
        "`resident_id`: 17 digits and the GB 11643 check character (0-9 or X), with a real "
        "birth date; `passport`: 5 to 20 letters and digits"))
    mobile: Text = Field(json_schema_extra={"pattern": MOBILE_PATTERN}, description=(
        "An 11-digit mainland mobile number or E.164 (`+85291234567`); SMS go only to "
        "the country codes the deployment allows (`ANXIN_SMS_COUNTRIES`, default 86)"))


class AuthorizationRequest(TermsMembers):
    """A request for the person's authorization, from one of your templates."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples({
        "template": "credit-check", "reference": "LOAN-2026-0001",
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": "11010519491231002X", "mobile": "13800138000"}}))

    template: Text = Field(min_length=1, description="The template's code")
    subject: SubjectIdentity
    reference: Text = Field(min_length=1, max_length=200, description=(
        "Your business reference (a loan application number)"))
    valid_until: dt.datetime | None = Field(None, description=(
        "Shortens the template's validity, never extends it (with a time zone)"))
    max_uses: MaxUses | None = Field(None, description=(
        "Lowers the template's `max_uses`, never raises it"))
    callback_url: Text | None = Field(None, max_length=2000, description=(
        "An http(s) URL to POST status changes to (signed `Anxin-Signature`)"))
    notify_subject: Literal["sms"] | None = Field(None, description=(
        "`sms`: Anxin sends `signing_url` to the subject's mobile by SMS (and one reminder "
        "before the request lapses). Absent: Anxin sends nothing; you deliver "
        "`signing_url` yourself"))
    return_url: Text | None = Field(None, max_length=2000, description=(
        "Where the signing page sends the person after signing or declining, with "
        "`?authorization_id=…&status=signed|declined`; must start with one of your "
        "`return_url_prefixes` (`PATCH /v1/institution`)"))
    renews: Annotated[Text, WithJsonSchema({"type": "string", "format": "uuid"})] | None = Field(
        None, description=(
        "The `id` of one of your authorizations in force that this request renews: same "
        "purpose, same person; a new letter to sign, valid from its signing (docs/api.md "
        "Renewal)"))


class MaskedSubject(Reply):
    name: str = Field(examples=["Z**** S**"])
    id_type: IdType
    id_number: str = Field(examples=["110105********002X"])
    mobile: str = Field(examples=["138****8000"])


class TemplateRef(Reply):
    code: str
    version: int = Field(ge=1)


class UseLogEntry(Reply):
    """One gate call, granted or refused."""

    use_id: Uuid
    granted: bool
    code: Code | None = Field(description="The refusal's code; null when granted")
    purpose: str | None
    data_item: str | None
    reference: str | None
    operator: str | None
    at: Timestamp


_AUTH_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_AUTH_ID, "status": "pending", "purpose": "loan_approval",
    "data_scope": ["credit_report", "credit_score"], "reference": "LOAN-2026-0001",
    "valid_from": EXAMPLE_TIME, "valid_until": "2026-12-31T17:39:01.847016+00:00",
    "max_uses": 1, "uses": 0, "uses_remaining": 1, "signed_at": None, "timestamp": None,
    "letter_sha256": EXAMPLE_SHA,
    "request_expires_at": "2026-12-02T17:39:01.847016+00:00", "created_at": EXAMPLE_TIME,
    "status_changed_at": EXAMPLE_TIME, "revoked_at": None,
    "status_times": {"pending": EXAMPLE_TIME},
    "subject": {"name": "Z**** S**", "id_type": "resident_id",
                "id_number": "110105********002X", "mobile": "138****8000"}}


class Authorization(Reply):
    """An authorization, as lists and the cancel answer show it."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples(_AUTH_EXAMPLE))

    id: Uuid
    status: AuthorizationStatus
    purpose: str
    data_scope: list[str]
    reference: str
    valid_from: Timestamp
    valid_until: Timestamp
    max_uses: int = Field(ge=1)
    uses: int = Field(ge=0)
    uses_remaining: int = Field(ge=0)
    signed_at: Timestamp | None
    timestamp: Timestamp | None = Field(description="The TSA's genTime of the signature")
    letter_sha256: Sha256Hex
    request_expires_at: Timestamp
    created_at: Timestamp
    status_changed_at: Timestamp
    revoked_at: Timestamp | None
    test: bool = Field(False, description=(
        "Made with your test key (test mode): a TEST letter by the test CA, no legal "
        "effect, seen only with the test key"))
    paused_by: Literal["subject", "operator"] | None = Field(None, description=(
        "Who paused it, while `status` is `paused` (an operator's pause is lifted only by "
        "the operator)"))
    notify_subject: Literal["sms"] | None = Field(None, description=(
        "`sms` when Anxin sends the signing link"))
    return_url: str | None = Field(None, description="Where the signing page returns to")
    viewed_at: Timestamp | None = Field(None, description=(
        "When the signing link was first opened (`authorization:viewed`)"))
    reminder_sent_at: Timestamp | None = Field(None, description=(
        "When the reminder SMS before the request lapses went out"))
    renews: Uuid | None = Field(None, description="The authorization this one renews")
    renewed_by: Uuid | None = Field(None, description=(
        "The latest request that renews this one (pending, signed or ended unsigned)"))
    status_times: dict[str, Timestamp | None] = Field(description=(
        "When it entered each status it went through, by status"))
    subject: MaskedSubject


class AuthorizationCreated(Authorization):
    """The new request: send the person to `signing_url` (Anxin does not)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        **_AUTH_EXAMPLE, "template": {"code": "credit-check", "version": 1},
        "signing_url": "http://localhost:8000/s/w8q1m_5f3gM-GzlvmeC8Taw6Yp1Al8ykhvWyUXty12I"}))

    template: TemplateRef
    signing_url: str = Field(json_schema_extra={"format": "uri"})


class RenewalLink(Reply):
    """One authorization of a chain of renewals."""

    id: Uuid
    status: AuthorizationStatus
    valid_until: Timestamp
    signed_at: Timestamp | None


class AuthorizationDetail(Authorization):
    """An authorization with its template version and every gate call made on it."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        **_AUTH_EXAMPLE, "status": "active", "signed_at": EXAMPLE_TIME,
        "timestamp": EXAMPLE_TIME, "template": {"code": "credit-check", "version": 1},
        "uses_log": []}))

    template: TemplateRef
    uses_log: list[UseLogEntry]
    renewal_chain: list[RenewalLink] | None = Field(None, description=(
        "Where it is part of a chain of renewals: every authorization of it, oldest first"))


class AuthorizationPage(Reply):
    """A page of your authorizations, newest first."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "items": [_AUTH_EXAMPLE], "page": 1, "page_size": 50, "total": 1,
        "total_capped": False, "next_page": None, "next": None}))

    items: list[Authorization]
    page: int | None = Field(ge=1, description="The page's number; null for a page asked "
                                               "by cursor (`after`)")
    page_size: int = Field(ge=1)
    total: int = Field(ge=0, le=10_000, description=(
        "The matching authorizations, counted up to 10,000 (a full count would cost the "
        "rows': `total_capped` is true when there are more)"))
    total_capped: bool = Field(description="True when more than `total` match")
    next_page: int | None = Field(description="The next page's number, or null on the last "
                                              "(and on a page asked by cursor)")
    next: str | None = Field(description="The cursor of the next page (ask with `after=`), "
                                         "or null on the last")


# ---------------------------------------------------------------- the gate


class UseRequest(Strict):
    """One query of the person's data, asked of the gate."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples({
        "purpose": "loan_approval", "reference": "Q-2026-0001", "operator": "officer-7",
        "data_item": "credit_report"}))

    purpose: Text = Field(description="Must be the authorization's purpose",
                          json_schema_extra=PURPOSE)
    reference: Text = Field(description="Your reference of this query")
    operator: Text = Field(description="Who in the institution asks")
    data_item: Text = Field(description="One category of the authorization's scope",
                            json_schema_extra=DATA_CATEGORY)
    data_from: StrictDate | None = Field(None, description=(
        "The first day of the person's data the query covers; required when the letter "
        "has a data range"))
    data_to: StrictDate | None = Field(None, description=(
        "The last day of the person's data the query covers"))


class UseGranted(Reply):
    """The gate granted one use."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "use_id": "f957c3b0-ecf7-470b-bc1b-22af679945c1", "uses": 1, "uses_remaining": 0,
        "status": "exhausted", "receipt": "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2Vf"
                                          "aWQiOiJmOTU3In0.mTYbRIPX6ZNJH4BiY9Hilg",
        "granted_at": "2026-12-01T17:39:02.270183+00:00"}))

    use_id: Uuid
    uses: int = Field(ge=1, description="Uses spent, this one included")
    uses_remaining: int = Field(ge=0)
    status: AuthorizationStatus = Field(description="`active`, or `exhausted` after the last")
    receipt: str = Field(description=(
        "The signed statement of the grant, a compact JWS: ES256 by the platform seal "
        "(`/.well-known/jwks.json`, `/pki/seal.crt`) in the intl and dual profiles; alg "
        "SM2SM3 by the SM2 seal (`/.well-known/jwks-sm2.json`, `/pki/sm2/seal.crt`) in sm"))
    receipt_sm2: str | None = Field(None, description=(
        "dual profile only: the same payload as `receipt`, signed SM2SM3 by the SM2 seal"))
    granted_at: Timestamp


# ---------------------------------------------------------------- events


class Event(Reply):
    """A status change of one of your authorizations: what the webhook POSTs, plus its
    `cursor` and delivery state."""

    cursor: str = Field(description="Ask for the events after this one with `after=`")
    event: str = Field(examples=["authorization:signed"])
    authorization_id: Uuid
    institution_id: Uuid
    status: AuthorizationStatus
    reference: str
    occurred_at: Timestamp
    delivery: str = Field(description="The webhook delivery's state (`pending`, "
                                      "`delivered`, `failed`, ...)")
    attempts: int = Field(ge=0)


class EventPage(Reply):
    """Events after a cursor, oldest first."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "events": [{"cursor": "1", "event": "authorization:signed",
                    "authorization_id": EXAMPLE_AUTH_ID,
                    "institution_id": "4fe1d533-2cbc-424f-b463-9ef5937d9727",
                    "status": "active", "reference": "LOAN-2026-0001",
                    "occurred_at": "2026-12-01T17:39:02.242586+00:00",
                    "delivery": "delivered", "attempts": 1}],
        "next": "1", "has_more": False}))

    events: list[Event]
    next: str | None = Field(description="The cursor to ask from next time (`after=`); "
                                         "null before the first event")
    has_more: bool = Field(description="True when the page is full: ask again at once")


# ---------------------------------------------------------------- public (no key)


class Health(Reply):
    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({"status": "ok"}))

    status: str = Field(description="`ok` once ready")


class SignatureProfile(Reply):
    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({"profile": "intl"}))

    profile: str = Field(json_schema_extra={"enum": ["intl", "sm", "dual"]})


class KeySet(Reply):
    """A JSON Web Key Set (RFC 7517)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({"keys": [{
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
        "kid": "4eeYcesS5BxA4fuhALJ4-SX9o3X2OGqXoM9BgEZDio4",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}))

    keys: list[dict[str, Any]]


class LedgerProof(Reply):
    """An RFC 9162 proof: the hashes in the RFC's order, base64."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "hashes": ["uGxJw2Q4rTmjLVZDbxy4bF8mlmt5v0qmDsZZqUJaO3k="]}))

    hashes: list[str]


class LedgerEntry(Reply):
    index: int = Field(ge=0)
    data: str = Field(description="The exact leaf bytes, base64")


class LedgerEntries(Reply):
    """Leaves from `start` (a page may stop early: ask again from the next index)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "entries": [{"index": 0, "data": "eyJldmVudCI6ICJhdXRob3JpemF0aW9uOnJlcXVlc3RlZCJ9"}]}))

    entries: list[LedgerEntry]
