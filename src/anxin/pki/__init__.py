"""The platform PKI: root and issuing CAs, event certificates, the RFC 3161 TSA, CRL/OCSP.

A pure library: no web framework, no database. What it needs of storage it takes through
the Protocols of :mod:`~anxin.pki.ports` (``anxin.storage`` implements them; the use cases
of ``anxin.services`` own the transactions). Entry points: :func:`anxin.pki.authority.ensure_pki`
(``anxin init``), :func:`anxin.services.pki_services.open_pki_services` (once per process),
then :mod:`~anxin.pki.events`, :mod:`~anxin.pki.tsa` and :mod:`~anxin.pki.revocation`.
"""
