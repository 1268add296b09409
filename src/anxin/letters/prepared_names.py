"""Each distinct name value prepared for comparison once per verification.

X.509 names are compared as RFC 5280 §7.1 says, after the string preparation of RFC 4518
(``asn1crypto``'s ``NameTypeAndValue._ldap_string_prep``: Unicode mapping, normalisation,
prohibited-character and bidirectional checks — about 0.1 ms a value in pure Python).
asn1crypto remembers the result per parsed object, but pyHanko builds new name objects
throughout a validation (the CRL distribution-point names it assembles for every CRL it
weighs, the issuer-serial of every ESS signing-certificate attribute it checks): a package
prepares some 300 values, of which 10 are distinct.

Within :func:`names_prepared_once`, the preparation is remembered by its input string (it
is a pure function of that string, so the answer is the very same), for the duration of
the block. The switch is a context variable: elsewhere (and in the benchmark's baseline)
asn1crypto runs as shipped. Installing the hook wraps ``_ldap_string_prep`` once with a
function that defers to the original unless the switch is on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from asn1crypto import x509 as asn1_x509

_PREPARED: ContextVar[dict[str, str] | None] = ContextVar("anxin_prepared_names",
                                                          default=None)


def _install() -> Callable[[Any, str], str]:
    cls: Any = asn1_x509.NameTypeAndValue
    current = cls._ldap_string_prep
    original: Callable[[Any, str], str] = getattr(current, "__anxin_original__", current)

    def _ldap_string_prep(self: Any, string: str) -> str:
        memo = _PREPARED.get()
        if memo is None:
            return original(self, string)
        held = memo.get(string)
        if held is None:
            held = memo[string] = original(self, string)
        return held

    _ldap_string_prep.__anxin_original__ = original  # type: ignore[attr-defined]
    _ldap_string_prep.__doc__ = original.__doc__
    cls._ldap_string_prep = _ldap_string_prep
    return original


ORIGINAL = _install()
"""asn1crypto's own preparation (for tests comparing the two)."""


@contextlib.contextmanager
def names_prepared_once() -> Iterator[None]:
    """Within this block (this thread or task and the tasks it starts), each distinct
    name value is prepared once; a block nested in another shares the outer memory."""
    if _PREPARED.get() is not None:
        yield
        return
    token = _PREPARED.set({})
    try:
        yield
    finally:
        _PREPARED.reset(token)
