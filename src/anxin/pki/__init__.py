"""The platform PKI: root and issuing CAs, event certificates, the RFC 3161 TSA, CRL/OCSP.

Library code only (no web framework). Entry points: :func:`anxin.pki.authority.ensure_pki`
(``anxin init``), :func:`anxin.pki.services.open_pki_services` (once per process), then
:mod:`~anxin.pki.events`, :mod:`~anxin.pki.tsa` and :mod:`~anxin.pki.revocation`.
"""
