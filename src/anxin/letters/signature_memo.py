"""One verification's memory of the signatures it has already verified.

Verifying a letter or an evidence package validates the same certificate paths many
times (the signer's, each timestamp's TSA, each CRL's and OCSP response's issuer), and
pyHanko checks every signature on the way again each time: the issuing CA's signature on
the TSA certificate, a CRL's signature, and so on — about forty ECDSA verifications per
package, most of them repeats. :class:`MemoisedSignatureValidator` performs each distinct
verification once and answers repeats from memory.

Nothing is skipped: a repeat is the very same verification (same signature, same signed
bytes, same public key, same algorithm and parameters, same context), whose outcome is
determined by those inputs. Only successes are remembered; a failure is verified again
(and fails again) every time. Make one per verification and drop it afterwards: it is not
meant to outlive the inputs it has seen, nor to be shared between threads.
"""

from __future__ import annotations

from asn1crypto import algos
from asn1crypto.keys import PublicKeyInfo
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)

_Key = tuple[bytes, bytes, bytes, bytes, SignatureValidationContext]


class MemoisedSignatureValidator(DefaultSignatureValidator):
    """pyHanko's signature validator, each distinct successful verification done once."""

    def __init__(self) -> None:
        self._verified: set[_Key] = set()
        self.performed = 0  # verifications actually computed (for tests and benchmarks)

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        key = (bytes(signature), bytes(signed_data), public_key_info.dump(),
               signature_algorithm.dump(), context)
        if key in self._verified:
            return
        self.performed += 1
        super().validate_signature(signature, signed_data, public_key_info,
                                   signature_algorithm, context)
        self._verified.add(key)
