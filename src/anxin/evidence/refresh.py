"""Refreshing an evidence package held outside the platform (``anxin archive renew FILE.zip``).

Packages are built on demand, so a copy handed out years ago carries the archive
timestamps of its day; once its newest TSA certificate ages out it can no longer be
verified offline. The holder fetches the current package of the same authorization and
this module checks that it is the same evidence, only extended: the same authorization,
and the old letter's bytes a prefix of the new letter's (renewal only appends incremental
updates, so the signed revision and every earlier timestamp are byte for byte the same).

Example::

    check_refresh(read_zip(old_zip), read_zip(new_zip))   # raises IntegrityFailure
"""

from __future__ import annotations

from typing import Any

from anxin import untrusted_json
from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.evidence.ziputil import UnreadableInput


def package_authorization_id(files: dict[str, bytes]) -> str:
    """The authorization id a package's ``authorization.json`` names."""
    try:
        record: Any = untrusted_json.loads(files["authorization.json"])
        auth_id = record["id"]
    except (KeyError, ValueError, TypeError):
        raise UnreadableInput("the package has no readable authorization.json") from None
    if not isinstance(auth_id, str) or not auth_id:
        raise UnreadableInput("authorization.json names no authorization id")
    return auth_id


def check_refresh(old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Raise :class:`IntegrityFailure` unless ``new`` extends ``old`` (see module doc)."""
    old_id, new_id = package_authorization_id(old), package_authorization_id(new)
    if old_id != new_id:
        raise IntegrityFailure(f"the fetched package is of authorization {new_id}, "
                               f"not {old_id}", code=Code.PACKAGE_MISMATCH)
    old_letter, new_letter = old.get("letter.pdf"), new.get("letter.pdf")
    if old_letter is None or new_letter is None:
        raise IntegrityFailure("a package has no letter.pdf", code=Code.PACKAGE_MISMATCH)
    if not new_letter.startswith(old_letter):
        raise IntegrityFailure(
            "the fetched letter does not extend the held one: its earlier revisions "
            "differ (the signed letter must stay byte for byte the same)",
            code=Code.PACKAGE_MISMATCH)
