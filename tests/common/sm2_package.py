"""The SM files of an evidence package, built with the library functions alone (no
database, no service): for the SM checks' unit and fuzz tests, before (and beside) the
product's own sm/dual packages.

:func:`build_sm_files` returns the files an ``sm`` package holds of everything the SM
checks read (CONTRACT §8 / sm-contract layout): the letter signed SM2 (visible field,
``adbe.pkcs7.detached``) with an SM2 document timestamp, the SM2 certificates, CRL and
OCSP, the SM2 signature token, the checkpoint with its Ed25519 and SM2 lines and an SM2
token over SM3 of the note, the leaves' SM3, and the manifest with ``files_sm3`` sealed
``manifest.sm2.p7s``. :func:`reseal` recomputes the manifest after a test changed a file
(to reach a check behind the manifest's)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anxin.config import load_settings
from anxin.evidence.checkpoint_sm2 import Sm2NoteSigner
from anxin.ledger.checkpoint import Checkpoint, NoteSigner
from anxin.ledger.leaves_sm3 import build_leaves_sm3
from anxin.ledger.merkle import leaf_hash
from anxin.letters.render import render_letter_pdf
from anxin.letters.sign_sm2 import add_sm2_document_timestamp, sign_letter_sm2
from anxin.pki import sm2, sm2_cms
from anxin.pki.events import make_id_commitment
from anxin.pki.serials import InMemorySerialSource
from anxin.pki.sm2_authority import Sm2Pki, ensure_sm2_pki, load_sm2_pki
from anxin.pki.sm2_events import issue_sm2_event_certificate, record_sm2_certificate
from anxin.pki.sm2_revocation import build_sm2_issuing_crl, sm2_ocsp_for_certificate
from anxin.pki.sm2_tsa import Sm2TimestampAuthority, timestamp_sm3
from anxin.pki.sm2_x509 import to_pem
from tests.common.letters import letter_spec
from tests.common.sm2_pki import MemoryCertificateStore, PlainKeys

ORIGIN = "localhost/anxin"


@dataclass
class SmPackage:
    pki: Sm2Pki
    tsa: Sm2TimestampAuthority
    files: dict[str, bytes]
    event_cert: asn1_x509.Certificate

    @property
    def root(self) -> x509.Certificate:
        """The SM2 root as the verifier's roots come in (``cryptography``)."""
        return x509.load_der_x509_certificate(self.pki.root_cert.dump())

    def timestamp(self, digest: bytes) -> bytes:
        return timestamp_sm3(self.tsa, digest)


def sm2_pki_in(folder: Path) -> Sm2Pki:
    settings = load_settings(data_dir=folder)
    ensure_sm2_pki(settings)
    return load_sm2_pki(settings)


def build_sm_files(folder: Path, *, pki: Sm2Pki | None = None) -> SmPackage:
    pki = pki or sm2_pki_in(folder)
    tsa = Sm2TimestampAuthority(pki.tsa_key, pki.tsa_cert.dump(),
                                [pki.issuing_cert.dump(), pki.root_cert.dump()],
                                InMemorySerialSource())
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    spec = letter_spec()
    text = spec.letter_text.encode()
    salt, commitment = make_id_commitment("11010519491231002X")
    key, event = issue_sm2_event_certificate(
        pki, name=spec.subject_name, id_commitment_hex=commitment,
        authorization_id=spec.authorization_id, letter_sha256_hex=spec.letter_sha256,
        letter_sm3_hex=sm2.sm3(text).hex(), now=now)
    stamp = functools.partial(timestamp_sm3, tsa)
    chain = [pki.issuing_cert.dump(), pki.root_cert.dump()]
    sign_cms = functools.partial(sm2_cms.sign_detached, signer_key=key,
                                 signer_cert=event.dump(), chain=chain, timestamp=stamp)
    signed = sign_letter_sm2(render_letter_pdf(spec), sign_cms=sign_cms,
                             signer_name=spec.subject_name, reason="个人信息查询授权",
                             location="Anxin", signing_time=now, stamp_method_label="短信验证")
    store = MemoryCertificateStore()
    record_sm2_certificate(store, event, keys=PlainKeys(), kind="event",
                           authorization_id=spec.authorization_id)
    crl = build_sm2_issuing_crl(pki, store, now)
    ocsp = sm2_ocsp_for_certificate(pki, store, event, now)
    letter = add_sm2_document_timestamp(
        signed, timestamp=stamp, certificates=[event.dump(), *chain, pki.tsa_cert.dump()],
        crls=[crl], ocsp_responses=[ocsp])
    token = _signature_token(letter)
    files = {
        "letter.pdf": letter,
        "authorization.json": json.dumps({"id": spec.authorization_id,
                                          "letter_sha256": spec.letter_sha256}).encode(),
        "identity/id-commitment.json": json.dumps({"salt": salt,
                                                   "commitment": commitment}).encode(),
        "identity/sms.json": json.dumps({"mobile_masked": "138****0000",
                                         "code_verified_at": now.isoformat()}).encode(),
        "sm2/certificates/root.crt": to_pem([pki.root_cert]),
        "sm2/certificates/issuing.crt": to_pem([pki.issuing_cert]),
        "sm2/certificates/tsa.crt": to_pem([pki.tsa_cert]),
        "sm2/certificates/seal.crt": to_pem([pki.seal_cert]),
        "sm2/certificates/event.crt": to_pem([event]),
        "sm2/revocation/crl-0.crl": crl,
        "sm2/revocation/ocsp-0.der": ocsp,
        "sm2/timestamps/signature.tst": token,
        **_ledger_files(spec.authorization_id, stamp),
    }
    package = SmPackage(pki, tsa, files, event)
    reseal(package)
    return package


def _signature_token(letter: bytes) -> bytes:
    from anxin.evidence.sm_letter import read_sm2_letter
    token = read_sm2_letter(letter, pool_der=[]).cms.timestamp_token
    assert token is not None
    return token


def _ledger_files(auth_id: str, stamp: functools.partial[bytes]) -> dict[str, bytes]:
    """A one-leaf log: the leaf is its own root (RFC 9162), proof empty."""
    leaf = json.dumps({"authorization_id": auth_id, "event": "authorization:signed"}).encode()
    line = Sm2NoteSigner(ORIGIN, sm2.generate_private_key())
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate(), extra=[line])
    note = signer.sign_checkpoint(Checkpoint(ORIGIN, 1, leaf_hash(leaf)))
    entries = {"entries": [{"index": 0, "data": base64.b64encode(leaf).decode(),
                            "proof": []}]}
    return {"ledger/checkpoint.txt": note.encode(),
            "ledger/checkpoint.tst": stamp(sm2.sm3(note.encode())),
            "ledger/verifier-key.txt": signer.verifier_key.encode(),
            "ledger/entries.json": json.dumps(entries).encode(),
            "sm2/ledger/verifier-key.txt": line.verifier_key.encode(),
            "sm2/ledger/leaves-sm3.json": build_leaves_sm3([(0, leaf)])}


def reseal(package: SmPackage, *, profile: str = "sm") -> None:
    """manifest.json (SHA-256 and SM3 of every file) and manifest.sm2.p7s, anew."""
    files = package.files
    body = {n: b for n, b in files.items()
            if n not in ("manifest.json", "manifest.p7s", "manifest.sm2.p7s")}
    manifest = {"format": "anxin-evidence/1", "profile": profile,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(body.items())},
                "files_sm3": {n: sm2.sm3(b).hex() for n, b in sorted(body.items())}}
    files["manifest.json"] = json.dumps(manifest, sort_keys=True, indent=2).encode()
    pki = package.pki
    files["manifest.sm2.p7s"] = sm2_cms.sign_detached(
        sm2.sm3(files["manifest.json"]), signer_key=pki.seal_key,
        signer_cert=pki.seal_cert.dump(),
        chain=[pki.issuing_cert.dump(), pki.root_cert.dump()], timestamp=package.timestamp)
