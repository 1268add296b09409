"""Authorization letters: render (fpdf2), sign PAdES B-T → B-LTA, verify offline.

Example::

    pdf = render_letter_pdf(spec)
    signed = sign_letter(pdf, signer_key=key, signer_cert=cert, chain=[issuing, root],
                         timestamper=tsa, signer_name="张三", method_label="短信验证",
                         reason="个人信息查询授权", location="Anxin", signing_time=now)
    archived = upgrade_to_lta(signed, certificates=[cert, issuing, root, tsa_cert],
                              crls=[issuing_crl_der], ocsp_responses=[ocsp_der],
                              timestamper=tsa)
    verify_letter(archived, [root]).indication       # 'TOTAL_PASSED'

"""

from anxin.letters.letter_data import SignedLetter
from anxin.letters.render import LetterSpec, render_letter_pdf
from anxin.letters.sign import (
    async_sign_letter,
    async_upgrade_to_lta,
    sign_letter,
    upgrade_to_lta,
)
from anxin.letters.verify import Check, LetterVerification, verify_letter

__all__ = [
    "Check", "LetterSpec", "LetterVerification", "SignedLetter", "async_sign_letter",
    "async_upgrade_to_lta", "render_letter_pdf", "sign_letter", "upgrade_to_lta",
    "verify_letter",
]
