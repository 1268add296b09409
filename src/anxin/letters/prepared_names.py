"""Each distinct name value prepared, and each distinct pair of names compared, once per
verification.

X.509 names are compared as RFC 5280 §7.1 says, after the string preparation of RFC 4518
(``asn1crypto``'s ``NameTypeAndValue._ldap_string_prep``: Unicode mapping, normalisation,
prohibited-character and bidirectional checks — about 0.1 ms a value in pure Python).
asn1crypto remembers the result per parsed object, but pyHanko builds new name objects
throughout a validation (the CRL distribution-point names it assembles for every CRL it
weighs, the issuer-serial of every ESS signing-certificate attribute it checks): a package
prepares some 300 values, of which 10 are distinct.

Within :func:`names_prepared_once`, the preparation is remembered by its input string (it
is a pure function of that string, so the answer is the very same), and so is the outcome
of ``Name.__eq__`` by the DER of the two names (a pure function of their contents: the
DER is taken when compared, so a name built up or changed in place is compared as it is
then). A comparison that raises (a prohibited character) is not remembered: it raises
again. A fresh comparison costs 20–130 µs, a remembered one the two ``dump()`` calls,
about 2 µs; a package compares some 350 names. The memory lasts for the block.

So is ``Name.hashable`` (the key pyHanko files and finds certificates by, in every
certificate registry and path it builds: asn1crypto joins the prepared values anew on
each call), by the name's DER: some 250 calls a package, 7 % of its time (cProfile,
2026-12-02).

So is pyHanko's ``match_issuer_serial`` (a certificate against the issuer and serial
number a CMS signer identifier or an ESS signing-certificate attribute names: a pure
function of the two), by the identifier's DER and the certificate's SHA-256 (asn1crypto's
``Certificate.sha256``, the digest of its DER, by which pyHanko itself tells certificates
apart): some 57 calls a package, of which 12 are distinct, 5 % of its time (cProfile,
2026-12-02).

So is the match of a certificate's CRL distribution points with a CRL's issuing
distribution point (RFC 5280 §6.3.3 b.2.i, pyHanko's ``_match_dps_idp_names``): a pure
function of the four names it is given (the IDP, the certificate's DPs, the CRL issuer's
certificate and the CRL authority's name), remembered by their DER. pyHanko weighs every
CRL against every certificate of every path it validates, and builds fresh
``GeneralName`` objects for each weighing (some 25 a package, of which 10 are distinct,
about 0.3 ms each): 6–8 % of a package's verification (cProfile, 2026-12-02).

The switch is a context variable: elsewhere (and in the benchmark's baseline) asn1crypto
and pyHanko run as shipped. Installing the hooks wraps ``_ldap_string_prep``,
``Name.__eq__`` and ``_match_dps_idp_names`` once with functions that defer to the
originals unless the switch is on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.sign import general
from pyhanko_certvalidator.revinfo import validate_crl


@dataclass
class _Memory:
    values: dict[str, str] = field(default_factory=dict)
    equal: dict[tuple[bytes, bytes], bool] = field(default_factory=dict)
    hashable: dict[bytes, str] = field(default_factory=dict)
    issuer_serial: dict[tuple[bytes, bytes], bool] = field(default_factory=dict)
    dp_match: dict[tuple[bytes, bytes | None, bytes, bytes], bool] = field(
        default_factory=dict)


_PREPARED: ContextVar[_Memory | None] = ContextVar("anxin_prepared_names", default=None)


def _remembering(original: Callable[..., Any], table: str,
                 key: Callable[..., Hashable | None]) -> Callable[..., Any]:
    """``original`` made to remember its answers in the current memory's ``table`` by
    ``key`` of its arguments (named as the original names them); it defers to
    ``original`` outside :func:`names_prepared_once`, or when ``key`` answers None
    (arguments it does not know). An answer that raises is not
    remembered: it raises again."""

    def remembering(*args: Any, **kwargs: Any) -> Any:
        memory = _PREPARED.get()
        k = None if memory is None else key(*args, **kwargs)
        if k is None:
            return original(*args, **kwargs)
        store: dict[Hashable, Any] = getattr(memory, table)
        held = store.get(k)
        if held is None:
            held = store[k] = original(*args, **kwargs)
        return held

    remembering.__anxin_original__ = original  # type: ignore[attr-defined]
    remembering.__doc__ = original.__doc__
    return remembering


def _original(current: Callable[..., Any]) -> Callable[..., Any]:
    """The shipped function, also when this module is imported again (tests reload it)."""
    found: Callable[..., Any] = getattr(current, "__anxin_original__", current)
    return found


def _install() -> Callable[[Any, str], str]:
    cls: Any = asn1_x509.NameTypeAndValue
    original = _original(cls._ldap_string_prep)
    cls._ldap_string_prep = _remembering(original, "values", lambda _self, string: string)
    return original


def _install_equality() -> Callable[[Any, Any], bool]:
    cls: Any = asn1_x509.Name
    original = _original(cls.__eq__)
    cls.__eq__ = _remembering(
        original, "equal",
        lambda self, other: ((self.dump(), other.dump())
                             if isinstance(other, asn1_x509.Name) else None))
    return original


def _install_hashable() -> Callable[[Any], str]:
    cls: Any = asn1_x509.Name
    original = _original(cls.hashable.fget)
    cls.hashable = property(_remembering(original, "hashable", lambda self: self.dump()))
    return original


def _install_issuer_serial() -> Callable[[Any, Any], bool]:
    original = _original(general.match_issuer_serial)
    general.match_issuer_serial = _remembering(
        original, "issuer_serial",
        lambda expected_issuer_serial, cert: (expected_issuer_serial.dump(), cert.sha256))
    return original


def _install_dp_match() -> Callable[[Any, Any, Any, Any], bool]:
    original = _original(validate_crl._match_dps_idp_names)
    validate_crl._match_dps_idp_names = _remembering(
        original, "dp_match",
        lambda crl_idp, crl_dps, crl_issuer, crl_authority_name: (
            crl_idp.dump(), None if crl_dps is None else crl_dps.dump(),
            crl_issuer.dump(), crl_authority_name.dump()))
    return original


ORIGINAL = _install()
"""asn1crypto's own preparation (for tests comparing the two)."""
ORIGINAL_EQ = _install_equality()
"""asn1crypto's own ``Name.__eq__``."""
ORIGINAL_HASHABLE = _install_hashable()
"""asn1crypto's own ``Name.hashable``."""
ORIGINAL_ISSUER_SERIAL = _install_issuer_serial()
"""pyHanko's own ``match_issuer_serial``."""
ORIGINAL_DP_MATCH = _install_dp_match()
"""pyHanko's own ``_match_dps_idp_names``."""


@contextlib.contextmanager
def names_prepared_once() -> Iterator[None]:
    """Within this block (this thread or task and the tasks it starts), each distinct
    name value is prepared once; a block nested in another shares the outer memory."""
    if _PREPARED.get() is not None:
        yield
        return
    token = _PREPARED.set(_Memory())
    try:
        yield
    finally:
        _PREPARED.reset(token)
