"""``Anxin``: the hand-written façade over the generated client (``anxin_client.generated``).

The generated part has one function per operation of ``/openapi.json`` and a model per
schema; this façade gives an integrator the few calls a credit-check flow needs, with the
API key set once, an ``Idempotency-Key`` on every call that creates something (generated
when not given, and reused when a call is retried after a network failure), and every
refusal raised as :class:`~anxin_client.problems.AnxinProblem`:

    anxin = Anxin("https://anxin.example.com", api_key="anx_...")
    auth = anxin.authorizations.create(template="credit-card-v1", reference="APP-42",
                                       subject={"name": "Zhang San", ...})
    # ... the person signs at auth.signing_url ...
    use = anxin.authorizations.use(auth.id, purpose="loan_approval",
                                   data_item="credit_report", reference="Q-1",
                                   operator="officer-7")

Anything the façade does not cover is one call away in the generated part, on the same
authenticated client: ``anxin.client`` (an ``AuthenticatedClient``).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID

import httpx

from anxin_client.generated import AuthenticatedClient
from anxin_client.generated.api.authorizations import (
    cancel_authorization,
    create_authorization,
    get_authorization,
    get_evidence_package,
    get_letter_pdf,
    get_report_pdf,
    list_authorizations,
)
from anxin_client.generated.api.events import list_events
from anxin_client.generated.api.gate import consume_use
from anxin_client.generated.api.operations import jwks as get_jwks
from anxin_client.generated.api.templates import create_template, get_template, list_templates
from anxin_client.generated.models import (
    Authorization,
    AuthorizationCreated,
    AuthorizationDetail,
    AuthorizationPage,
    AuthorizationRequest,
    AuthorizationStatus,
    EventPage,
    KeySet,
    SubjectIdentity,
    Template,
    TemplateDetail,
    TemplatePage,
    TemplateRequest,
    UseGranted,
    UseRequest,
)
from anxin_client.generated.types import UNSET, File, Response, Unset
from anxin_client.problems import AnxinProblem

T = TypeVar("T")

#: Answers after which a call that carries an Idempotency-Key is sent again, same key.
RETRIED_STATUSES = frozenset({502, 503, 504})


def new_idempotency_key() -> str:
    """A fresh key for one logical call (a UUID4): reuse it to retry that call."""
    return str(uuid.uuid4())


def _unset(value: T | None) -> T | Unset:
    return UNSET if value is None else value


def _result(answer: Response[Any], want: type[T]) -> T:
    """The parsed model of a success, or the problem raised."""
    if 200 <= answer.status_code < 300 and isinstance(answer.parsed, want):
        return answer.parsed
    if 200 <= answer.status_code < 300:
        raise AnxinProblem(int(answer.status_code), "unexpected_response",
                           f"a {answer.status_code} answer this client cannot read as "
                           f"{want.__name__}: is the client older than the server?")
    problem = AnxinProblem.from_answer(int(answer.status_code), answer.content,
                                       {k.lower(): v for k, v in answer.headers.items()})
    problem.model = answer.parsed
    raise problem


def _bytes(answer: Response[Any]) -> bytes:
    """The body of a document answer (``File``), or the problem raised."""
    if 200 <= answer.status_code < 300:
        return answer.content
    _result(answer, File)
    raise AssertionError("unreachable")  # pragma: no cover


class _Base:
    def __init__(self, owner: Anxin) -> None:
        self._owner = owner

    @property
    def _client(self) -> AuthenticatedClient:
        return self._owner.client


class Templates(_Base):
    """``/v1/templates``: the letters an institution asks people to sign."""

    def create(self, template: TemplateRequest | Mapping[str, Any], *,
               idempotency_key: str | None = None) -> Template:
        """Create a template, or a new version of it (same ``code``)."""
        body = template if isinstance(template, TemplateRequest) else TemplateRequest.from_dict(
            dict(template))
        key = idempotency_key or new_idempotency_key()
        return self._owner.retrying(lambda: create_template.sync_detailed(
            client=self._client, body=body, idempotency_key=key), Template)

    def get(self, code: str, *, version: int | None = None) -> TemplateDetail:
        """The current version of template ``code``, or ``version``."""
        return _result(get_template.sync_detailed(code, client=self._client,
                                                  version=_unset(version)), TemplateDetail)

    def list(self) -> TemplatePage:
        """The institution's templates."""
        return _result(list_templates.sync_detailed(client=self._client), TemplatePage)


class Authorizations(_Base):
    """``/v1/authorizations``: requests, their status, and the use gate."""

    def create(self, *, template: str, subject: SubjectIdentity | Mapping[str, Any], reference: str,
               valid_until: dt.datetime | str | None = None, max_uses: int | None = None,
               callback_url: str | None = None, idempotency_key: str | None = None
               ) -> AuthorizationCreated:
        """Request an authorization from ``template`` for ``subject`` (``name``,
        ``id_type``, ``id_number``, ``mobile``). The answer has ``id``, ``status``
        (``pending``), ``signing_url`` (give it to the person) and
        ``request_expires_at``. A member a later API version adds needs the client
        regenerated from that version (``make client``): the generated models send only
        the members they know."""
        fields: dict[str, Any] = {
            "template": template, "reference": reference,
            "subject": subject.to_dict() if isinstance(subject, SubjectIdentity) else dict(subject)}
        until = valid_until.isoformat() if isinstance(valid_until, dt.datetime) else valid_until
        for name, value in (("valid_until", until), ("max_uses", max_uses),
                            ("callback_url", callback_url)):
            if value is not None:
                fields[name] = value
        body = AuthorizationRequest.from_dict(fields)
        key = idempotency_key or new_idempotency_key()
        return self._owner.retrying(lambda: create_authorization.sync_detailed(
            client=self._client, body=body, idempotency_key=key), AuthorizationCreated)

    def get(self, auth_id: str | UUID) -> AuthorizationDetail:
        """The authorization: status, terms, uses (and the log of every gate call), the
        letter's SHA-256, the subject masked."""
        return _result(get_authorization.sync_detailed(str(auth_id), client=self._client),
                       AuthorizationDetail)

    def list(self, *, status: str | None = None, reference: str | None = None,
             page: int = 1, page_size: int | None = None) -> AuthorizationPage:
        """One page (numbered from 1, ``page_size`` items, the server's default when not
        given) of the institution's authorizations, newest first; ``status`` (``active``,
        ``pending``…) and ``reference`` filter it."""
        return _result(list_authorizations.sync_detailed(
            client=self._client, reference=_unset(reference), page=page,
            page_size=_unset(page_size),
            status=UNSET if status is None else AuthorizationStatus(status)),
            AuthorizationPage)

    def use(self, auth_id: str | UUID, *, purpose: str, data_item: str, reference: str,
            operator: str, idempotency_key: str | None = None) -> UseGranted:
        """The gate: ask for one use before querying the person's data. Granted: the
        answer has ``use_id``, ``uses_remaining`` and ``receipt`` (check it with
        :func:`~anxin_client.receipts.verify_receipt`). Refused:
        :class:`~anxin_client.problems.AnxinProblem` (409 ``authorization_exhausted``,
        403 ``purpose_mismatch``…). The same ``idempotency_key`` and body answer the same
        ``use_id`` and spend no second use; without one, a key is made for this call and
        reused if it has to be retried."""
        body = UseRequest.from_dict({"purpose": purpose, "data_item": data_item,
                                     "reference": reference, "operator": operator})
        key = idempotency_key or new_idempotency_key()
        return self._owner.retrying(lambda: consume_use.sync_detailed(
            str(auth_id), client=self._client, body=body, idempotency_key=key), UseGranted)

    def cancel(self, auth_id: str | UUID) -> Authorization:
        """Withdraw a request the person has not signed yet (409
        ``authorization_not_pending`` once signed: only the person revokes, at ``/me``)."""
        return _result(cancel_authorization.sync_detailed(str(auth_id), client=self._client),
                       Authorization)

    def letter_pdf(self, auth_id: str | UUID) -> bytes:
        """The signed letter (PAdES): 404 ``document_not_found`` before signing."""
        return _bytes(get_letter_pdf.sync_detailed(str(auth_id), client=self._client))

    def evidence_package(self, auth_id: str | UUID) -> bytes:
        """The evidence package (ZIP), checkable offline with ``anxin verify``."""
        return _bytes(get_evidence_package.sync_detailed(str(auth_id), client=self._client))

    def report_pdf(self, auth_id: str | UUID) -> bytes:
        """The Digital Signature Verification Report (PDF, sealed)."""
        return _bytes(get_report_pdf.sync_detailed(str(auth_id), client=self._client))


class Events(_Base):
    """``/v1/events``: the status changes of the institution's authorizations."""

    def list(self, *, cursor: str | None = None, page_size: int | None = None) -> EventPage:
        """Events after ``cursor`` (``None``: from the start), oldest first. Ask again with
        ``cursor=page.next_`` (the API's ``next``) while ``page.has_more``; keep it to
        resume later."""
        return _result(list_events.sync_detailed(client=self._client, after=_unset(cursor),
                                                 page_size=_unset(page_size)), EventPage)


class Anxin:
    """One institution's connection to one Anxin deployment.

    ``base_url`` is the deployment's address (``https://anxin.example.com``), ``api_key``
    the institution's key (``anx_…``). ``timeout`` is in seconds; ``max_retries`` is how
    often a call that carries an Idempotency-Key is sent again after a network failure or
    a 502/503/504 (never after any other answer). Use it as a context manager, or call
    :meth:`close`, to release the connections."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0,
                 max_retries: int = 2, httpx_args: Mapping[str, Any] | None = None) -> None:
        self.client = AuthenticatedClient(
            base_url=base_url.rstrip("/"), token=api_key, timeout=httpx.Timeout(timeout),
            raise_on_unexpected_status=False, httpx_args=dict(httpx_args or {}))
        self.max_retries = max_retries
        self.templates = Templates(self)
        self.authorizations = Authorizations(self)
        self.events = Events(self)

    def jwks(self) -> dict[str, Any]:
        """``/.well-known/jwks.json``: the keys that sign the gate's receipts."""
        return _result(get_jwks.sync_detailed(client=self.client), KeySet).to_dict()

    def retrying(self, send: Callable[[], Response[Any]], want: type[T]) -> T:
        """``send()`` (a call that carries an Idempotency-Key), again after a network
        failure or a 502/503/504, at most ``max_retries`` more times."""
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                answer = send()
            except httpx.TransportError:
                if last:
                    raise
            else:
                if last or answer.status_code not in RETRIED_STATUSES:
                    return _result(answer, want)
            time.sleep(min(0.25 * 2 ** attempt, 2.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.client.get_httpx_client().close()

    def __enter__(self) -> Anxin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
