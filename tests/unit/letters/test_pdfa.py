"""The letter as PDF/A-3b, before and after signing: the requirements, checked one by one.

No PDF/A validator installs here from PyPI or Debian (veraPDF is Java and packaged for
neither; the PyPI packages that mention it only call its binary), so these tests check the
concrete ISO 19005-3 level B requirements the letter has to meet, walking every object
reachable from the trailer with pyHanko's reader: XMP identification and our properties
with their extension schema, the sRGB output intent, embedded fonts, associated files, no
encryption / JavaScript / additional actions, printable annotations with normal
appearances only. The same checks run on the rendered, the signed (B-T) and the archived
(B-LTA) letter: pyHanko's incremental updates rewrite the XMP and must keep it PDF/A.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import model
from pyhanko.pdf_utils.metadata.xmp_xml import parse_xmp
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.letters.letter_data import open_signed_letter
from anxin.letters.pdfa import (
    AUTHORIZATION_ID_PROPERTY,
    LETTER_SHA256_PROPERTY,
    XMP_NAMESPACE,
    srgb_icc_profile,
)
from anxin.letters.render import (
    LETTER_TEXT_ATTACHMENT,
    PASSKEY_ATTACHMENT,
    LetterSpec,
    letter_keywords,
    render_letter_pdf,
)
from tests.common.letters import letter_spec, sign_spec, upgrade
from tests.common.test_ca import TestPKI, build_test_pki

PDFAID = model.NS["pdfaid"]
EXTENSION = model.NS["pdfaExtension"]
SCHEMA = model.NS["pdfaSchema"]
PROPERTY = model.NS["pdfaProperty"]
# Annotation flags PDF/A forbids (Invisible, Hidden, NoView, ToggleNoView) and needs (Print).
_FORBIDDEN_FLAGS, _PRINT = 1 | 2 | 32 | 256, 4
_PASSKEY_JSON = b'{"type":"webauthn.get","credentialId":"AAEC"}'


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return build_test_pki()


@pytest.fixture(scope="module")
def spec() -> LetterSpec:
    return dataclasses.replace(letter_spec("zh-CN"), passkey_evidence=_PASSKEY_JSON)


@pytest.fixture(scope="module")
def stages(pki: TestPKI, spec: LetterSpec) -> dict[str, bytes]:
    """The same letter rendered, signed (B-T) and upgraded (B-LTA)."""
    signed, cert = sign_spec(pki, spec)
    return {"rendered": render_letter_pdf(spec), "signed": signed,
            "archived": upgrade(pki, signed, cert)}


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf), strict=False)


def _reachable(reader: PdfFileReader) -> Iterator[generic.DictionaryObject]:
    """Every dictionary (stream dictionaries included) reachable from the catalog."""
    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [reader.trailer.raw_get("/Root")]
    while pending:
        item = pending.pop()
        if isinstance(item, generic.IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            pending.append(item.get_object())
        elif isinstance(item, generic.DictionaryObject):
            yield item
            pending.extend(item.raw_get(k) for k in item)
        elif isinstance(item, generic.ArrayObject):
            pending.extend(item.raw_get(i) for i in range(len(item)))


def _xmp_fields(reader: PdfFileReader) -> dict[model.ExpandedName, model.XmpValue]:
    metadata = reader.root["/Metadata"]
    assert metadata["/Subtype"] == "/XML"
    assert "/Filter" not in metadata, "PDF/A: the metadata stream is not filtered"
    return {name: value for description in parse_xmp(BytesIO(metadata.data))
            for name, value in description}


def _text(fields: dict[model.ExpandedName, model.XmpValue], ns: str, name: str) -> str:
    value = fields[model.ExpandedName(ns=ns, local_name=name)].value
    if isinstance(value, model.XmpArray):
        value = value.entries[0].value
    assert isinstance(value, str)
    return value


def _declared_properties(fields: dict[model.ExpandedName, model.XmpValue]) -> dict[str, str]:
    """Our namespace's properties in the pdfaExtension schema description: name -> type."""
    schemas = fields[model.ExpandedName(ns=EXTENSION, local_name="schemas")].value
    assert isinstance(schemas, model.XmpArray)
    declared: dict[str, str] = {}
    for entry in schemas.entries:
        schema = entry.value
        assert isinstance(schema, model.XmpStructure)
        if str(schema[model.ExpandedName(ns=SCHEMA, local_name="namespaceURI")].value) \
                != XMP_NAMESPACE:
            continue
        assert schema[model.ExpandedName(ns=SCHEMA, local_name="prefix")].value == "anxin"
        properties = schema[model.ExpandedName(ns=SCHEMA, local_name="property")].value
        assert isinstance(properties, model.XmpArray)
        for item in properties.entries:
            prop = item.value
            assert isinstance(prop, model.XmpStructure)
            assert prop[model.ExpandedName(ns=PROPERTY, local_name="category")].value \
                == "external"
            name = prop[model.ExpandedName(ns=PROPERTY, local_name="name")].value
            declared[str(name)] = str(
                prop[model.ExpandedName(ns=PROPERTY, local_name="valueType")].value)
    return declared


@pytest.mark.parametrize("stage", ["rendered", "signed", "archived"])
def test_xmp_identifies_pdfa_3b_and_carries_the_letter_ids(stages, spec, stage):
    fields = _xmp_fields(_reader(stages[stage]))
    assert _text(fields, PDFAID, "part") == "3"
    assert _text(fields, PDFAID, "conformance") == "B"
    assert _text(fields, model.NS["dc"], "title") == spec.title
    assert _text(fields, model.NS["dc"], "creator") == spec.institution_name
    assert _text(fields, model.NS["pdf"], "Keywords") == letter_keywords(
        spec.authorization_id, spec.letter_sha256)
    assert _text(fields, XMP_NAMESPACE, AUTHORIZATION_ID_PROPERTY) == spec.authorization_id
    assert _text(fields, XMP_NAMESPACE, LETTER_SHA256_PROPERTY) == spec.letter_sha256
    ours = {name.local_name for name in fields if name.ns == XMP_NAMESPACE}
    assert _declared_properties(fields) == dict.fromkeys(ours, "Text")
    assert ours == {AUTHORIZATION_ID_PROPERTY, LETTER_SHA256_PROPERTY}


@pytest.mark.parametrize("stage", ["rendered", "signed", "archived"])
def test_the_output_intent_is_srgb_with_an_icc_profile(stages, stage):
    intents = _reader(stages[stage]).root["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0]
    assert intent["/S"] == "/GTS_PDFA1"
    assert str(intent["/OutputConditionIdentifier"])
    profile = intent["/DestOutputProfile"]
    assert profile["/N"] == 3
    icc = profile.data
    assert icc[36:40] == b"acsp", "an ICC profile carries 'acsp' at offset 36"
    assert icc[16:20] == b"RGB "
    assert icc[12:16] in (b"mntr", b"scnr", b"prtr", b"spac")
    assert icc == srgb_icc_profile()


@pytest.mark.parametrize("stage", ["rendered", "signed", "archived"])
def test_every_font_is_embedded(stages, stage):
    fonts = [d for d in _reachable(_reader(stages[stage])) if d.get("/Type") == "/Font"]
    assert fonts
    for font in fonts:
        if font["/Subtype"] == "/Type0":
            continue  # its descendant CIDFont, checked in this same loop, carries the file
        descriptor = font["/FontDescriptor"]
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font


@pytest.mark.parametrize("stage", ["rendered", "signed", "archived"])
def test_no_encryption_javascript_or_additional_actions(stages, stage):
    reader = _reader(stages[stage])
    assert "/Encrypt" not in reader.trailer
    # PDF/A-2 and later make the XMP the document metadata; an /Info would have to match it.
    assert "/Info" not in reader.trailer
    names = reader.root["/Names"]
    assert "/JavaScript" not in names
    for dictionary in _reachable(reader):
        assert not {"/JS", "/AA", "/JavaScript"} & set(dictionary), dictionary
        assert dictionary.get("/S") not in ("/JavaScript", "/Launch", "/ImportData")
        assert "/NeedAppearances" not in dictionary or not dictionary["/NeedAppearances"]
        assert dictionary.get("/Filter") not in ("/LZWDecode", "/Crypt")


@pytest.mark.parametrize("stage", ["rendered", "signed", "archived"])
def test_annotations_print_and_have_normal_appearances_only(stages, stage):
    annotations = [d for d in _reachable(_reader(stages[stage])) if d.get("/Type") == "/Annot"]
    if stage == "rendered":
        assert annotations == []
        return
    assert len(annotations) == (1 if stage == "signed" else 2)
    for annotation in annotations:
        flags = int(annotation["/F"])
        assert flags & _PRINT
        assert not flags & _FORBIDDEN_FLAGS
        width = float(annotation["/Rect"][2]) - float(annotation["/Rect"][0])
        if width or "/AP" in annotation:
            assert set(annotation["/AP"]) == {"/N"}


@pytest.mark.parametrize("stage", ["rendered", "signed", "archived"])
def test_embedded_files_are_associated_files(stages, spec, stage):
    reader = _reader(stages[stage])
    root = reader.root
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {str(names[i]): names.raw_get(i + 1) for i in range(0, len(names), 2)}
    assert set(specs) == {LETTER_TEXT_ATTACHMENT, PASSKEY_ATTACHMENT}
    associated = {(ref.idnum, ref.generation) for ref in
                  (root["/AF"].raw_get(i) for i in range(len(root["/AF"])))}
    assert {(ref.idnum, ref.generation) for ref in specs.values()} == associated
    relationships = {}
    for name, ref in specs.items():
        filespec = ref.get_object()
        assert str(filespec["/F"]) == str(filespec["/UF"]) == name
        stream = filespec["/EF"]["/F"]
        assert stream["/Subtype"] in ("/text/plain", "/application/json")
        assert "/ModDate" in stream["/Params"]
        relationships[name] = filespec["/AFRelationship"]
    assert relationships == {LETTER_TEXT_ATTACHMENT: "/Source", PASSKEY_ATTACHMENT: "/Supplement"}


def test_header_declares_pdf_17_with_a_binary_comment(stages):
    rendered = stages["rendered"]
    assert rendered.startswith(b"%PDF-1.7\n%")
    comment = rendered.split(b"\n")[1]
    assert len(comment) >= 5
    assert all(byte > 127 for byte in comment[1:5])
    for pdf in stages.values():
        assert re.search(rb"/ID\s*\[", pdf), "PDF/A needs a file identifier in the trailer"


def test_a_letter_without_xmp_still_states_its_ids_in_keywords(pki):
    """Letters rendered before PDF/A: no XMP, /Keywords in /Info (what the verifier reads)."""
    spec = letter_spec("en", authorization_id="auth_LEGACY01")
    writer = IncrementalPdfFileWriter(BytesIO(render_letter_pdf(spec)))
    del writer.root["/Metadata"]
    writer.update_root()
    writer.set_info(generic.DictionaryObject({generic.NameObject("/Keywords"): generic.pdf_string(
        letter_keywords(spec.authorization_id, spec.letter_sha256))}))
    legacy = BytesIO()
    writer.write(legacy)
    signed, _ = sign_spec(pki, spec, rendered=legacy.getvalue())
    letter = open_signed_letter(signed).letter
    assert (letter.authorization_id, letter.stated_sha256) == (
        spec.authorization_id, spec.letter_sha256)
