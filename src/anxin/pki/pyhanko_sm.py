"""A pyHanko CLI plugin whose only work is to teach asn1crypto the SM names in the
``pyhanko`` process, so that pyHanko's validators do not crash on a letter that carries an
SM2 signature field (the ``dual`` profile).

Why: pyHanko computes the byte-range digest of *every* signature field while it validates
any of them (``adesverify`` builds its proof-of-existence index over all fields), with the
hash named by asn1crypto. Stock asn1crypto has no name for SM3 (1.2.156.10197.1.401), so
pyHanko asks ``cryptography`` for a hash called "1.2.156.10197.1.401" and stops with
"Generic processing error" before judging the PAdES field. With the name taught
(:mod:`anxin.pki.sm2`) it judges the PAdES field and reports the SM2 one as unsupported.

Loaded by ``pyhanko`` through the ``pyhanko.cli_plugin.signing`` entry point of the
``anxin`` distribution, or explicitly with a ``pyhanko.yml`` of
``plugins: ["anxin.pki.pyhanko_sm:Sm2NamesPlugin"]`` (``pyhanko --config pyhanko.yml …``).
The plugin offers no signing command (it reports itself unavailable).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pyhanko.cli.plugin_api import SigningCommandPlugin

from anxin.pki import sm2

TAUGHT = (sm2.OID_SM3, sm2.OID_SM2_WITH_SM3)


class Sm2NamesPlugin(SigningCommandPlugin):
    """Importing this class has taught asn1crypto ``sm3`` and ``sm2_sm3``."""

    subcommand_name: ClassVar[str] = "anxin-sm2-names"
    help_summary: ClassVar[str] = "(none: teaches pyHanko the SM3/SM2 algorithm names)"
    unavailable_message: ClassVar[str | None] = (
        "Anxin's plugin only names the SM algorithms; SM2 signing is not offered here")

    def click_options(self) -> list[Any]:
        return []

    def is_available(self) -> bool:
        return False
