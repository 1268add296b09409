"""The direct signature writer: its lexer, its reader's limits (what falls back to pyHanko)
and the files it writes, judged by pyHanko's validator."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from anxin.asyncutil import run_sync
from anxin.letters import sign as sign_module
from anxin.letters.pdf_objects import (
    NotDirect,
    array_items,
    decode_text,
    parse_dict,
    read_pdf,
    skip_value,
)
from anxin.letters.pdf_update import pdf_text
from anxin.letters.render import render_letter_pdf
from anxin.letters.sign import async_sign_letter, sign_letter
from tests.common.letters import letter_spec, sign_spec, upgrade
from tests.common.test_ca import TestPKI, build_test_pki, to_asn1


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return build_test_pki()


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_letter_pdf(letter_spec())


def _context(pki: TestPKI) -> ValidationContext:
    return ValidationContext(trust_roots=[to_asn1(pki.root_cert)], allow_fetching=False,
                             revocation_mode="soft-fail")


def _last_revision(pdf: bytes) -> bytes:
    return pdf[pdf.rindex(b"%%EOF", 0, len(pdf) - 7):]


def test_dictionary_values_stay_raw_and_nested_delimiters_inside_strings_do_not_count() -> None:
    text = (b"<< /A 12 0 R /B (a >> b ] \\) c) /C << /D [1 2 (x]) <41>] /E <<>> >>"
            b" /F -1.5 /G [3 0 R 4 0 R] /H true % a comment >>\n /I /N#20ame >>")
    entries, end = parse_dict(text, 0)
    assert end == len(text)
    assert entries[b"/A"] == b"12 0 R"
    assert entries[b"/B"] == b"(a >> b ] \\) c)"
    assert entries[b"/C"] == b"<< /D [1 2 (x]) <41>] /E <<>> >>"
    assert entries[b"/F"] == b"-1.5"
    assert array_items(entries[b"/G"]) == [b"3 0 R", b"4 0 R"]
    assert entries[b"/H"] == b"true"
    assert entries[b"/I"] == b"/N#20ame"


def test_a_number_followed_by_another_is_not_taken_for_a_reference() -> None:
    assert array_items(b"[0 0 595.28 841.89]") == [b"0", b"0", b"595.28", b"841.89"]
    assert skip_value(b"1 2 R", 0) == 5
    assert skip_value(b"1 2 3", 0) == 1


def test_text_strings_round_trip_through_the_writer_and_the_reader() -> None:
    for text in ("AnxinSignature", "a (b) \\ c", "张三", "Reason: 个人信息"):
        assert decode_text(pdf_text(text)) == text
    assert decode_text(b"(\\376\\377\\137 N\\011)") == "张三"
    assert decode_text(b"(a\\nb\\051)") == "a\nb)"


def test_the_reader_finds_the_renderers_trailer_and_objects(rendered: bytes) -> None:
    pdf = read_pdf(rendered)
    root = pdf.dictionary(int(pdf.trailer[b"/Root"].split()[0]))
    assert root[b"/Type"] == b"/Catalog"
    assert pdf.size == max(pdf.offsets) + 1


def test_an_xref_stream_or_a_broken_tail_is_left_to_pyhanko(rendered: bytes) -> None:
    at = rendered.rindex(b"xref")
    with pytest.raises(NotDirect):
        read_pdf(rendered[:at] + b"XREF" + rendered[at + 4:])
    with pytest.raises(NotDirect):
        read_pdf(rendered[:-20])


def test_the_direct_signature_validates_and_leaves_the_metadata_alone(
        pki: TestPKI, rendered: bytes) -> None:
    signed, _cert = sign_spec(pki, letter_spec(), rendered=rendered)
    revision = _last_revision(signed)
    assert b"xmptk" not in signed
    assert b"/Metadata" in revision
    reader = PdfFileReader(io.BytesIO(signed))
    (signature,) = reader.embedded_signatures
    status = validate_pdf_signature(signature, _context(pki))
    assert status.intact
    assert status.valid
    assert status.trusted
    assert signature.sig_object["/Name"] == letter_spec().subject_name
    assert signature.sig_object["/Reason"] == "Authorization of personal-data use"
    assert "/AP" in signature.sig_field
    assert status.coverage.name == "ENTIRE_FILE"


def test_the_direct_archive_timestamp_covers_the_file_and_renewal_falls_back(
        pki: TestPKI, rendered: bytes) -> None:
    signed, cert = sign_spec(pki, letter_spec(), rendered=rendered)
    archived = upgrade(pki, signed, cert)
    reader = PdfFileReader(io.BytesIO(archived))
    assert len(reader.embedded_signatures) == 2
    stamp = reader.embedded_signatures[1]
    assert stamp.field_name == "AnxinArchiveTimestamp"
    status = validate_pdf_timestamp(stamp, validation_context=_context(pki))
    assert status.intact
    assert status.valid
    assert set(reader.root["/DSS"]) == {"/Certs", "/OCSPs", "/CRLs"}
    # a second timestamp extends the DSS: pyHanko's writer does it (the fallback)
    renewed = upgrade(pki, archived, cert)
    names = [s.field_name for s in PdfFileReader(io.BytesIO(renewed)).embedded_signatures]
    assert names == ["AnxinSignature", "AnxinArchiveTimestamp", "AnxinArchiveTimestamp2"]
    assert b"xmptk" in _last_revision(renewed)


def test_a_file_the_writer_does_not_cover_is_signed_by_pyhanko(
        pki: TestPKI, rendered: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_pdf: bytes) -> None:
        raise NotDirect("forced")

    monkeypatch.setattr(sign_module, "read_pdf", refuse)
    signed, _cert = sign_spec(pki, letter_spec(), rendered=rendered)
    assert b"xmptk" in _last_revision(signed)  # pyHanko rewrote the metadata
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(signature, _context(pki))
    assert status.intact
    assert status.valid


def test_a_signature_larger_than_the_reservation_is_written_again_with_room(
        pki: TestPKI, rendered: bytes) -> None:
    key, cert = pki.issue_event_cert("张三")
    signed = run_sync(async_sign_letter(
        rendered, signer_key=key, signer_cert=cert, chain=pki.chain,
        timestamper=pki.timestamper(), signer_name="张三", method_label="短信验证",
        reason="r", location="Anxin", signing_time=dt.datetime.now(dt.UTC),
        bytes_reserved=64))
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert validate_pdf_signature(signature, _context(pki)).intact
    byte_range = re.search(rb"/ByteRange \[0 (\d+) (\d+) (\d+)\]", signed)
    assert byte_range
    assert int(byte_range.group(2)) + int(byte_range.group(3)) == len(signed)


class _ThreadedTimeStamper(TimeStamper):
    """A TSA client that needs an event loop (as the HTTP one: asyncio.to_thread)."""

    def __init__(self, inner: TimeStamper) -> None:
        super().__init__()
        self.inner = inner
        self.calls = 0

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> Any:
        await asyncio.sleep(0)  # a bare yield: driven inline
        await asyncio.to_thread(lambda: None)  # needs the running loop
        self.calls += 1
        return await self.inner.async_timestamp(message_digest, md_algorithm)


@pytest.mark.parametrize("in_loop", [False, True])
def test_a_timestamper_that_needs_an_event_loop_gets_one(
        pki: TestPKI, rendered: bytes, in_loop: bool) -> None:
    stamper = _ThreadedTimeStamper(pki.timestamper())
    key, cert = pki.issue_event_cert("张三")

    def sign() -> bytes:
        return sign_letter(rendered, signer_key=key, signer_cert=cert, chain=pki.chain,
                           timestamper=stamper, signer_name="张三", method_label="短信验证",
                           reason="r", location="Anxin", signing_time=dt.datetime.now(dt.UTC))

    async def inside_a_loop() -> bytes:
        return sign()

    signed = asyncio.run(inside_a_loop()) if in_loop else sign()
    assert stamper.calls == 1
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert validate_pdf_signature(signature, _context(pki)).intact
