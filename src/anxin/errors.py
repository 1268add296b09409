"""One error base for the whole product.

Every failure a user can cause or meet is an :class:`AnxinError` subclass with a stable
machine ``code``, a member of the registry :class:`anxin.error_codes.Code`. The error
carries no HTTP status and no exit code: the edges look the code up in the registry (the
web layer for an RFC 9457 problem's ``status`` and ``title``, the CLI for its exit code).
Nothing below the edges prints or exits.
"""

from __future__ import annotations

from typing import Any

from anxin.error_codes import Code, Spec, spec


class AnxinError(Exception):
    """Base of every product error; ``code`` is stable and documented in the registry."""

    code: Code = Code.BAD_REQUEST

    def __init__(self, detail: str, *, code: Code | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = Code(code)
        self.extra = extra

    @property
    def spec(self) -> Spec:
        """The registry's entry for this error's code."""
        return spec(self.code)

    @property
    def status(self) -> int:
        """The registry's HTTP status of this error's code (read at the web edge)."""
        return self.spec.status

    @property
    def title(self) -> str:
        """The registry's problem title of this error's code."""
        return self.spec.title


class ValidationFailed(AnxinError):
    """Input that breaks a rule; ``field`` names the offending member (dotted path)."""

    code = Code.VALIDATION_FAILED

    def __init__(self, detail: str, *, field: str | None = None, code: Code | None = None,
                 **extra: Any) -> None:
        super().__init__(detail, code=code, **extra)
        self.field = field
        if field is not None:
            self.extra.setdefault("field", field)


class NotFound(AnxinError):
    code = Code.NOT_FOUND


class Unauthenticated(AnxinError):
    code = Code.UNAUTHENTICATED


class Forbidden(AnxinError):
    code = Code.FORBIDDEN


class Conflict(AnxinError):
    code = Code.CONFLICT


class Gone(AnxinError):
    code = Code.GONE


class TooManyRequests(AnxinError):
    """A rate refusal. ``retry_after`` (whole seconds, at least 1) is required: every 429
    tells the caller when to come back (problem member ``retry_after`` and the
    ``Retry-After`` header)."""

    code = Code.RATE_LIMITED

    def __init__(self, detail: str, *, retry_after: float, code: Code | None = None,
                 **extra: Any) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(detail, code=code, retry_after=seconds, **extra)
        self.retry_after = seconds


class IntegrityFailure(AnxinError):
    """A cryptographic or structural check failed (verify-or-raise)."""

    code = Code.INTEGRITY_FAILURE


class ConfigurationError(AnxinError):
    code = Code.CONFIGURATION_ERROR
