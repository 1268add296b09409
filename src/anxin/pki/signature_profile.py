"""The deployment's signature profile (issue 14): ``intl``, ``sm`` or ``dual``, fixed once.

- ``intl`` — ECDSA P-256 / SHA-256 (PAdES, verifiable by pdfsig and pyHanko): the default.
- ``sm`` — SM2 with SM3 wherever a signature or a digest protects evidence.
- ``dual`` — both, side by side: what a Chinese bank that also wants ordinary tools to
  verify its letters picks.

The profile is chosen at ``anxin init --profile X`` and written to ``<keys dir>/profile``
(one word), which travels with the keys to every node. It never changes silently: an
``anxin init`` or an ``anxin serve`` asked for another profile (``--profile`` or
``ANXIN_PROFILE``) than the data directory's stops with an error naming both. A keys
directory made before profiles existed holds the intl PKI only and reads as ``intl``.

>>> import tempfile, pathlib
>>> keys = pathlib.Path(tempfile.mkdtemp())
>>> fix_profile(keys, Profile.DUAL)
True
>>> read_profile(keys)
<Profile.DUAL: 'dual'>
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from anxin.error_codes import Code
from anxin.errors import ConfigurationError
from anxin.private_files import create_private_file

PROFILE_FILE = "profile"


class Profile(StrEnum):
    INTL = "intl"
    SM = "sm"
    DUAL = "dual"

    @property
    def has_intl(self) -> bool:
        """ECDSA/SHA-256 artefacts are made (the PAdES signature, ES256 receipts)."""
        return self is not Profile.SM

    @property
    def has_sm(self) -> bool:
        """SM2/SM3 artefacts are made (the SM2 PKI, signature, receipts, checkpoint line)."""
        return self is not Profile.INTL


class ProfileMismatch(ConfigurationError):
    """Another profile was asked for than the one the data directory was made with."""

    code = Code.PROFILE_MISMATCH


def read_profile(keys_dir: Path) -> Profile:
    """The profile fixed in ``keys_dir`` (``intl`` for a directory that predates them)."""
    path = keys_dir / PROFILE_FILE
    if not path.is_file():
        return Profile.INTL
    word = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        return Profile(word)
    except ValueError:
        raise ConfigurationError(
            f"{path} names no signature profile ({word[:20]!r}); expected one of "
            f"{', '.join(p.value for p in Profile)}") from None


def check_profile(keys_dir: Path, requested: Profile | None) -> Profile:
    """The data directory's profile; :class:`ProfileMismatch` if ``requested`` differs."""
    fixed = read_profile(keys_dir)
    if requested is not None and requested is not fixed:
        raise ProfileMismatch(
            f"the data directory {keys_dir.parent} uses the signature profile "
            f"'{fixed.value}', not '{requested.value}': a profile is fixed at `anxin init` "
            "and cannot change (make a new data directory for another profile)")
    return fixed


def fix_profile(keys_dir: Path, requested: Profile | None) -> bool:
    """Write the profile on first init (``requested`` or ``intl``); True if written.

    A keys directory that already holds a PKI but no profile file predates profiles: it
    is ``intl`` and is recorded as such (asking it for ``sm`` or ``dual`` is a mismatch)."""
    if (keys_dir / PROFILE_FILE).is_file() or (keys_dir / "root.crt").is_file():
        fixed = check_profile(keys_dir, requested)
        if (keys_dir / PROFILE_FILE).is_file():
            return False
    else:
        fixed = requested or Profile.INTL
    keys_dir.mkdir(parents=True, exist_ok=True)
    create_private_file(keys_dir / PROFILE_FILE, f"{fixed.value}\n".encode())
    return True
