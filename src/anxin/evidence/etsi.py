"""The verification report as ETSI TS 119 102-2 XML (``report.xml``, ``--xml OUT.xml``).

Written here rather than by pyHanko, whose own TS 119 102-2 output leaves out the
mandatory ``BestSignatureTime`` and does not validate against the ETSI schema (FACTS).
The element order and the mandatory elements follow the v1.4.1 XSD
(``http://uri.etsi.org/19102/v1.4.1#``); a test validates every report against the XSD and
the schemas it imports (tests/data/etsi). One ``SignatureValidationReport`` describes the
letter's signature; every certificate, CRL, OCSP response and timestamp the validation
used is a ``ValidationObject`` with its proof of existence.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from anxin.evidence.policy import POLICY
from anxin.evidence.report import (
    FAILED,
    INDETERMINATE,
    PASSED,
    TOTAL_FAILED,
    TOTAL_PASSED,
    Report,
)
from anxin.evidence.validation_objects import CertificateInfo

VR = "http://uri.etsi.org/19102/v1.4.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
TSL = "http://uri.etsi.org/02231/v2#"
ANXIN = "urn:anxin:verification-report:1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

MAIN = {TOTAL_PASSED: "total-passed", TOTAL_FAILED: "total-failed",
        "INDETERMINATE": "indeterminate"}
CHECK_MAIN = {PASSED: "passed", FAILED: "failed", INDETERMINATE: "indeterminate"}
OBJECT_TYPES = {"certificate": "certificate", "crl": "CRL", "ocsp_response": "OCSPResponse",
                "timestamp": "timestamp", "signed_data": "signedData"}
POE_VALIDATION = "urn:etsi:019102:poetype:validation"

for prefix, uri in (("vr", VR), ("ds", DS), ("XAdES", XADES), ("tsl", TSL), ("anxin", ANXIN)):
    ET.register_namespace(prefix, uri)


def _e(parent: ET.Element, ns: str, tag: str, text: str | None = None,
       **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _v(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    return _e(parent, VR, tag, text, **attrs)


def _digest(parent: ET.Element, ns: str, tag: str, hex_digest: str) -> None:
    el = _e(parent, ns, tag)
    _e(el, DS, "DigestMethod", Algorithm=SHA256)
    _e(el, DS, "DigestValue", base64.b64encode(bytes.fromhex(hex_digest)).decode())


def _status(parent: ET.Element, tag: str, main: str, subs: Iterable[str | None]) -> ET.Element:
    el = _v(parent, tag)
    _v(el, "MainIndication", f"urn:etsi:019102:mainindication:{main}")
    for sub in subs:
        if sub:
            _v(el, "SubIndication", f"urn:etsi:019102:subindication:{sub}")
    return el


def _poe(parent: ET.Element, tag: str, time: str, by: str | None) -> None:
    el = _v(parent, tag)
    _v(el, "POETime", time)
    _v(el, "TypeOfProof", POE_VALIDATION)
    if by:
        _v(el, "POEObject", VOReference=by)


def _policy_hash() -> str:
    text = "\n".join([POLICY.uri, *(en for _zh, en in POLICY.rules)])
    return hashlib.sha256(text.encode()).hexdigest()


def _constraints(svr: ET.Element, report: Report) -> None:
    el = _v(svr, "ValidationConstraintsEvaluationReport")
    pol = _v(el, "SignatureValidationPolicy")
    spi = _v(pol, "SignaturePolicyIdentifier")
    sid = _e(spi, XADES, "SignaturePolicyId")
    oid = _e(sid, XADES, "SigPolicyId")
    _e(oid, XADES, "Identifier", POLICY.uri)
    _e(oid, XADES, "Description", f"{POLICY.name}, version {POLICY.version}")
    _digest(sid, XADES, "SigPolicyHash", _policy_hash())
    _v(pol, "PolicyName", f"{POLICY.name} ({POLICY.id}, version {POLICY.version})")
    for c in report.checks:
        vc = _v(el, "ValidationConstraint")
        _v(vc, "ValidationConstraintIdentifier", f"urn:anxin:check:{c.id}")
        cs = _v(vc, "ConstraintStatus")
        _v(cs, "Status", "urn:etsi:019102:constraintStatus:applied")
        _status(vc, "ValidationStatus", CHECK_MAIN[c.result], [c.sub_indication])


def _attributes(svr: ET.Element, report: Report, ids: set[str]) -> None:
    sig, inv = report.signature, report.inventory
    if sig is None:
        return
    el = _v(svr, "SignatureAttributes")
    signer = _signer(report)
    if signer is not None:
        sc = _v(el, "SigningCertificate", Signed="true")
        cid = _v(sc, "CertID")
        _e(cid, DS, "DigestMethod", Algorithm=SHA256)
        _e(cid, DS, "DigestValue", base64.b64encode(bytes.fromhex(signer.sha256)).decode())
    stamps = inv.timestamps if inv is not None else ()
    for t in stamps:
        if t.kind == "signature timestamp" and t.id in ids:
            ts = _v(el, "SignatureTimeStamp")
            _v(ts, "AttributeObject", VOReference=t.id)
            _v(ts, "TimeStampValue", t.gen_time)
    if inv is not None:
        dss_objects = [o for o in inv.objects if any("DSS" in s for s in o.sources)]
        if dss_objects:
            dss = _v(el, "DSS")
            for tag, kind in (("Certs", "certificate"), ("CRLs", "crl"),
                              ("OCSPs", "ocsp_response")):
                refs = " ".join(o.id for o in dss_objects if o.type == kind)
                if refs:
                    _v(dss, tag, VOReference=refs)
    for t in stamps:
        if t.kind.startswith("document timestamp") and t.id in ids:
            ts = _v(el, "DocTimeStamp")
            _v(ts, "AttributeObject", VOReference=t.id)
            _v(ts, "TimeStampValue", t.gen_time)
    sf = _v(el, "SubFilter")
    _v(sf, "SubFilterElement", sig.sub_filter)
    _v(el, "ByteRange", " ".join(str(n) for n in sig.byte_range))


def _signer(report: Report) -> CertificateInfo | None:
    inv = report.inventory
    if inv is None:
        return None
    for c in inv.certificates:
        if c.role == "signer (event certificate)":
            return c
    return None


def report_xml(report: Report) -> bytes:
    """The report as a TS 119 102-2 ``ValidationReport`` document (UTF-8)."""
    root = ET.Element(f"{{{VR}}}ValidationReport")
    svr = _v(root, "SignatureValidationReport")
    sig, inv = report.signature, report.inventory
    ids = {o.id for o in inv.objects} if inv is not None else set()
    sid = _v(svr, "SignatureIdentifier", id=sig.signature_id if sig else "S-UNREADABLE")
    if sig is not None:
        _digest(sid, VR, "DigestAlgAndValue", sig.signed_bytes_sha256)
        _e(sid, DS, "SignatureValue", base64.b64encode(sig.signature_value).decode())
    _v(sid, "HashOnly", "false")
    _v(sid, "DocHashOnly", "false")
    _constraints(svr, report)
    vti = _v(svr, "ValidationTimeInfo")
    _v(vti, "ValidationTime", report.verified_at)
    best_by = None
    if inv is not None:
        best_by = next((t.id for t in inv.timestamps if t.kind == "signature timestamp"), None)
    _poe(vti, "BestSignatureTime", report.best_signature_time or report.verified_at, best_by)
    doc_id = None
    if sig is not None:
        doc_id = f"D-{sig.signed_bytes_sha256[:32].upper()}"
        sd = _v(svr, "SignersDocument")
        _digest(sd, VR, "DigestAlgAndValue", sig.signed_bytes_sha256)
        _v(sd, "SignersDocumentRepresentation", VOReference=doc_id)
    _attributes(svr, report, ids)
    signer = _signer(report)
    if signer is not None:
        si = _v(svr, "SignerInformation")
        _v(si, "SignerCertificate", VOReference=signer.id)
        _v(si, "Signer", signer.subject)
    if sig is not None:
        q = _v(svr, "SignatureQuality")
        _v(q, "SignatureQualityInformation", f"urn:anxin:signature-level:{sig.level}")
    proc = _v(svr, "SignatureValidationProcess")
    _v(proc, "SignatureValidationProcessID", "urn:etsi:019102:validationprocess:LTA")
    _v(proc, "SignatureValidationServicePolicy", POLICY.uri)
    status = _status(svr, "SignatureValidationStatus", MAIN[report.indication],
                     [report.sub_indication])
    _report_data(status, report)
    _consent(svr, report)
    _objects(root, report, doc_id)
    validator = _v(root, "SignatureValidator")
    did = _v(validator, "DigitalId")
    _e(did, TSL, "X509SubjectName", f"{report.verifier} (offline; {POLICY.uri})")
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _consent(svr: ET.Element, report: Report) -> None:
    """The second answer (the authorization's status at package time), in our own
    namespace inside ``OtherInformation`` (lax, so the ETSI schema accepts it)."""
    c = report.consent
    if c is None or not c.status:
        return
    other = _v(svr, "OtherInformation")
    attrs = {"status": c.status, "statusChangedAt": c.status_changed_at,
             "revokedAt": c.revoked_at, "revokedBy": c.revoked_by,
             "revokedVia": c.revoked_via, "packageTime": c.package_time}
    _e(other, ANXIN, "AuthorizationStatus",
       **{k: v for k, v in attrs.items() if v is not None})


def _report_data(status: ET.Element, report: Report) -> None:
    inv = report.inventory
    if inv is None:
        return
    anchors = [c for c in inv.certificates if c.role == "root CA (trust anchor)"]
    signer = _signer(report)
    if signer is None and not anchors:
        return
    data = _v(status, "AssociatedValidationReportData")
    if anchors:
        _v(data, "TrustAnchor", VOReference=anchors[0].id)
    if signer is not None:
        chain = _v(data, "CertificateChain")
        _v(chain, "SigningCertificate", VOReference=signer.id)
        for c in inv.certificates:
            if c.role == "issuing CA":
                _v(chain, "IntermediateCertificate", VOReference=c.id)
        if anchors:
            _v(chain, "TrustAnchor", VOReference=anchors[0].id)
        for ev in signer.revocation:
            if ev.status == "revoked" and ev.revoked_at:
                rsi = _v(data, "RevocationStatusInformation")
                _v(rsi, "ValidationObjectId", VOReference=signer.id)
                _v(rsi, "RevocationTime", ev.revoked_at)
                _v(rsi, "RevocationObject", VOReference=ev.object_id)
                break
        sig = report.signature
        if sig is not None:
            crypto = _v(data, "CryptoInformation")
            _v(crypto, "ValidationObjectId", VOReference=signer.id)
            algo = ECDSA_SHA256 if "ecdsa" in sig.signature_algorithm else RSA_SHA256
            _v(crypto, "Algorithm", algo)
            _v(crypto, "SecureAlgorithm", "true")


def _objects(root: ET.Element, report: Report, doc_id: str | None) -> None:
    inv, sig = report.inventory, report.signature
    objects = list(inv.objects) if inv is not None else []
    if not objects and doc_id is None:
        return
    vos = _v(root, "SignatureValidationObjects")
    if doc_id is not None and sig is not None:
        vo = _v(vos, "ValidationObject", id=doc_id)
        _v(vo, "ObjectType", "urn:etsi:019102:validationObject:signedData")
        rep = _v(vo, "ValidationObjectRepresentation")
        _digest(rep, VR, "DigestAlgAndValue", sig.signed_bytes_sha256)
    for o in objects:
        vo = _v(vos, "ValidationObject", id=o.id)
        _v(vo, "ObjectType", f"urn:etsi:019102:validationObject:{OBJECT_TYPES[o.type]}")
        rep = _v(vo, "ValidationObjectRepresentation")
        _digest(rep, VR, "DigestAlgAndValue", o.sha256)
        if o.poe is not None:
            _poe(vo, "POE", o.poe.time, o.poe.by)
