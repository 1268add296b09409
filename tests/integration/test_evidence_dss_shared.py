"""Within ``dss_shared_with_pyhanko`` pyHanko's AdES validation reads the letter's DSS from
the verification's memory: the same entries, in the same order, from the same DER; for
another reader, and outside the block, pyHanko reads it itself."""

import pytest
from pyhanko.sign.validation import ades

from anxin.letters import dss_context
from anxin.letters.dss_context import dss_shared_with_pyhanko
from anxin.letters.letter_data import open_signed_letter
from anxin.letters.verification_memory import VerificationMemory
from tests.integration.test_evidence import unzip, world  # noqa: F401 (the fixture)


@pytest.fixture(scope="module")
def letter_pdf(world: dict) -> bytes:  # noqa: F811
    return unzip(world["packages"][0][1])["letter.pdf"]


def _ders(knowledge: object) -> tuple[list[bytes], list[bytes], list[bytes]]:
    return ([c.crl_data.dump() for c in knowledge.known_crls],  # type: ignore[attr-defined]
            [o.ocsp_response_data.dump() for o in knowledge.known_ocsps],  # type: ignore[attr-defined]
            [c.dump() for c in knowledge.known_certs])  # type: ignore[attr-defined]


def test_the_same_entries_from_the_memory_inside_only(letter_pdf: bytes) -> None:
    opened = open_signed_letter(letter_pdf)
    shipped = dss_context.ORIGINAL_DSS_TO_LOCAL_KNOWLEDGE(reader=opened.reader)
    assert all(_ders(shipped))  # a B-LTA letter: certificates, CRLs and OCSP responses
    memory = VerificationMemory()
    with dss_shared_with_pyhanko(opened, memory):
        shared = ades._dss_to_local_knowledge(reader=opened.reader)
        again = ades._dss_to_local_knowledge(reader=opened.reader)
        other = open_signed_letter(letter_pdf)  # another reader: pyHanko's own read
        foreign = ades._dss_to_local_knowledge(reader=other.reader)
    assert _ders(shared) == _ders(again) == _ders(foreign) == _ders(shipped)
    assert [c is d for c, d in zip(shared.known_certs, again.known_certs, strict=True)] == \
        [True] * len(shared.known_certs)  # one object per certificate for the verification
    assert all(memory.certificates.load(c.dump()) is c for c in shared.known_certs)
    assert not any(c is d for c, d in zip(foreign.known_certs, shared.known_certs,
                                          strict=True))
    outside = ades._dss_to_local_knowledge(reader=opened.reader)
    assert _ders(outside) == _ders(shipped)
    assert not any(c is d for c, d in zip(outside.known_certs, shared.known_certs,
                                          strict=True))
