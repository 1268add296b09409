"""PDF/A-3b for the letter: the XMP metadata and the sRGB output intent.

A signed letter is evidence that has to stay readable and checkable for years and be
accepted for archiving and court filing, so it is rendered as PDF/A (ISO 19005).
**Part 3**, because the letter carries embedded files that are not PDF — its exact text
(``letter.txt``) and, with a passkey, the WebAuthn assertion (JSON): PDF/A-2 admits only
embedded files that are PDF/A themselves, PDF/A-3 admits any file as an *associated file*
(listed in the catalog's ``/AF``, with an ``/AFRelationship``: ``Source`` for the text the
letter is rendered from, ``Supplement`` for the assertion). **Level B** (the visual
appearance is preserved): level A needs a complete logical structure (a tagged PDF),
which the letter does not have yet.

fpdf2 does the PDF/A work (``FPDF(enforce_compliance=...)``: PDF 1.7, no encryption, no
unembedded base fonts, associated-file entries, no /Info dictionary, since from PDF/A-2
on the XMP is the document metadata and an /Info would have to repeat it exactly); this
module supplies what is ours:

- :func:`letter_xmp`, the XMP packet: ``pdfaid:part``/``pdfaid:conformance``, ``dc:title``,
  ``dc:creator``, ``dc:description``, the dates (all ``valid_from``, so the same spec gives
  the same bytes — fpdf2's own XMP would stamp the render time), ``pdf:Keywords`` (the
  ``anxin:…=…`` words of :func:`.render.letter_keywords`) and, in our namespace
  :data:`XMP_NAMESPACE`, ``anxin:authorizationId`` and ``anxin:letterSha256``; PDF/A
  requires a custom property to be declared, so the packet also holds the
  ``pdfaExtension`` schema description of that namespace;
- :func:`add_srgb_output_intent`: the ``/GTS_PDFA1`` output intent (needed for the
  DeviceRGB/DeviceGray colours the letter and its stamp use) with the sRGB2014 ICC profile
  (v2, the ICC's own, 3 kB) that fpdf2 bundles: no further package and nothing from
  Debian at run time; read once per process;
- :func:`read_letter_properties`, the verifier's way back to the two ids.

pyHanko rewrites the XMP in each incremental update (``xmp:ModifyDate``, ``pdf:Producer``)
and keeps every other property. Two details keep that rewrite tidy: the namespace is a URN
(pyHanko turns any text starting ``http(s)://`` into an ``rdf:resource``, which would
change the schema's ``namespaceURI`` entry), and :data:`XMP_PREFIX` is registered with
lxml so that the rewritten packet still says ``anxin:`` rather than a generated ``ns0:``.

Example::

    pdf = FPDF(enforce_compliance=COMPLIANCE)
    pdf.set_xmp_metadata(letter_xmp(title=..., author=..., subject=..., keywords=...,
                                    created=when, authorization_id=..., letter_sha256=...))
    add_srgb_output_intent(pdf)
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from io import BytesIO
from xml.sax.saxutils import escape

from fpdf import FPDF
from fpdf.enums import DocumentCompliance, OutputIntentSubType
from fpdf.output import PDFICCProfile
from fpdf.util import builtin_srgb2014_bytes
from lxml import etree
from pyhanko.pdf_utils.metadata.xmp_xml import parse_xmp

COMPLIANCE = DocumentCompliance.PDFA_3B
XMP_NAMESPACE = "urn:anxin:pdfa:letter:1p0#"
XMP_PREFIX = "anxin"
AUTHORIZATION_ID_PROPERTY = "authorizationId"
LETTER_SHA256_PROPERTY = "letterSha256"
# Our XMP property -> the key :func:`.render.parse_letter_keywords` uses for the same value.
_PROPERTY_KEYS = {AUTHORIZATION_ID_PROPERTY: "authorization_id",
                  LETTER_SHA256_PROPERTY: "letter_sha256"}
_PROPERTIES = (
    (AUTHORIZATION_ID_PROPERTY, "The id of the authorization this letter grants"),
    (LETTER_SHA256_PROPERTY, "SHA-256 (hex) of the exact letter text, UTF-8, as agreed"),
)
# sRGB as registered with the ICC (the output condition a reader may look up by name).
_SRGB_IDENTIFIER = "sRGB IEC61966-2.1"
_SRGB_CONDITION = "IEC 61966-2-1:1999"
_SRGB_REGISTRY = "http://www.color.org"

etree.register_namespace(XMP_PREFIX, XMP_NAMESPACE)


@functools.cache
def srgb_icc_profile() -> bytes:
    """fpdf2's bundled sRGB2014 ICC profile (read from the package once per process)."""
    return builtin_srgb2014_bytes()


@functools.cache
def _deflated_srgb_profile() -> bytes:
    """The profile as fpdf2 would deflate it, once per process instead of per letter."""
    return zlib.compress(srgb_icc_profile(), level=PDFICCProfile._COMPRESSION_LEVEL)


class _SrgbProfile(PDFICCProfile):
    """fpdf2's ICC profile stream, its contents deflated once per process."""

    def __init__(self) -> None:
        super().__init__(contents=b"", n=3, alternate="DeviceRGB")
        self._contents = _deflated_srgb_profile()
        self.length = len(self._contents)


def add_srgb_output_intent(pdf: FPDF) -> None:
    """Declare sRGB (the colour space of every colour the letter uses) as PDF/A intent."""
    pdf.add_output_intent(
        OutputIntentSubType.PDFA, output_condition_identifier=_SRGB_IDENTIFIER,
        output_condition=_SRGB_CONDITION, registry_name=_SRGB_REGISTRY,
        dest_output_profile=_SrgbProfile(), info="sRGB2014 (v2)")


def _text(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _xmp_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _lang_alt(name: str, value: str) -> str:
    return (f"<{name}><rdf:Alt><rdf:li xml:lang=\"x-default\">{_text(value)}</rdf:li>"
            f"</rdf:Alt></{name}>")


def _extension_schema() -> str:
    """The ``pdfaExtension`` description PDF/A requires for :data:`XMP_NAMESPACE`."""
    properties = "".join(
        "<rdf:li rdf:parseType=\"Resource\">"
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{_text(description)}</pdfaProperty:description>"
        "</rdf:li>" for name, description in _PROPERTIES)
    return (
        "<rdf:Description rdf:about=\"\""
        " xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\""
        " xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\""
        " xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
        "<pdfaSchema:schema>Anxin authorization letter</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        f"<pdfaSchema:prefix>{XMP_PREFIX}</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas>"
        "</rdf:Description>")


def letter_xmp(*, title: str, author: str, subject: str, keywords: str, created: dt.datetime,
               authorization_id: str, letter_sha256: str) -> str:
    """The letter's XMP (``x:xmpmeta``; fpdf2 adds the ``xpacket`` wrapper)."""
    when = _xmp_date(created)
    return (
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
        "<rdf:Description rdf:about=\"\""
        " xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\""
        " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
        " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\""
        " xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\""
        f" xmlns:{XMP_PREFIX}=\"{XMP_NAMESPACE}\">"
        f"<pdfaid:part>{COMPLIANCE.part}</pdfaid:part>"
        f"<pdfaid:conformance>{COMPLIANCE.conformance}</pdfaid:conformance>"
        "<dc:format>application/pdf</dc:format>"
        + _lang_alt("dc:title", title)
        + f"<dc:creator><rdf:Seq><rdf:li>{_text(author)}</rdf:li></rdf:Seq></dc:creator>"
        + _lang_alt("dc:description", subject)
        + f"<xmp:CreateDate>{when}</xmp:CreateDate><xmp:ModifyDate>{when}</xmp:ModifyDate>"
        "<xmp:CreatorTool>Anxin</xmp:CreatorTool>"
        "<pdf:Producer>Anxin (fpdf2)</pdf:Producer>"
        f"<pdf:Keywords>{_text(keywords)}</pdf:Keywords>"
        f"<{XMP_PREFIX}:{AUTHORIZATION_ID_PROPERTY}>{_text(authorization_id)}"
        f"</{XMP_PREFIX}:{AUTHORIZATION_ID_PROPERTY}>"
        f"<{XMP_PREFIX}:{LETTER_SHA256_PROPERTY}>{_text(letter_sha256.lower())}"
        f"</{XMP_PREFIX}:{LETTER_SHA256_PROPERTY}>"
        "</rdf:Description>"
        + _extension_schema()
        + "</rdf:RDF></x:xmpmeta>")


def read_letter_properties(xmp: bytes) -> dict[str, str]:
    """``authorization_id`` / ``letter_sha256`` from a letter's XMP packet (those present).

    Parsed with pyHanko's XMP reader (entities refused), the one that rewrites the packet
    at signing; raises ``ValueError`` for a packet that is not XMP.
    """
    found: dict[str, str] = {}
    for description in parse_xmp(BytesIO(xmp)):
        for name, value in description:
            key = _PROPERTY_KEYS.get(name.local_name)
            if name.ns == XMP_NAMESPACE and key and isinstance(value.value, str):
                found[key] = value.value
    return found
