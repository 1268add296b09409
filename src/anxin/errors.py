"""One error base for the whole product.

Every failure a user can cause or meet is an :class:`AnxinError` subclass with a stable
machine ``code``. The edges map it: the web layer to an RFC 9457 problem document with
``status``, the CLI to an exit code. Nothing below the edges prints or exits.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AnxinError(Exception):
    """Base of every product error; ``code`` is stable and documented."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    code: str = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class ValidationFailed(AnxinError):
    """Input that breaks a rule; ``field`` names the offending member (dotted path)."""

    status = 422
    title = "Unprocessable content"
    code = "validation_failed"

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None,
                 **extra: Any) -> None:
        super().__init__(detail, code=code, **extra)
        self.field = field
        if field is not None:
            self.extra.setdefault("field", field)


class NotFound(AnxinError):
    status = 404
    title = "Not found"
    code = "not_found"


class Unauthenticated(AnxinError):
    status = 401
    title = "Unauthorized"
    code = "unauthenticated"


class Forbidden(AnxinError):
    status = 403
    title = "Forbidden"
    code = "forbidden"


class Conflict(AnxinError):
    status = 409
    title = "Conflict"
    code = "conflict"


class Gone(AnxinError):
    status = 410
    title = "Gone"
    code = "gone"


class TooManyRequests(AnxinError):
    """A rate refusal. ``retry_after`` (whole seconds, at least 1) is required: every 429
    tells the caller when to come back (problem member ``retry_after`` and the
    ``Retry-After`` header)."""

    status = 429
    title = "Too many requests"
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: float, code: str | None = None,
                 **extra: Any) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(detail, code=code, retry_after=seconds, **extra)
        self.retry_after = seconds


class IntegrityFailure(AnxinError):
    """A cryptographic or structural check failed (verify-or-raise)."""

    status = 422
    title = "Integrity check failed"
    code = "integrity_failure"


class ConfigurationError(AnxinError):
    status = 500
    title = "Configuration error"
    code = "configuration_error"
