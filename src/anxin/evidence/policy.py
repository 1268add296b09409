"""The named validation policy every Anxin report applies (docs/verification.md).

A verdict means something only against a stated policy: which roots are trusted, what is
fetched, how time is established. The policy has an id and a version so that a report
can be read years later against the exact rules it applied.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ValidationPolicy:
    id: str
    version: str
    name: str
    name_zh: str
    rules: tuple[tuple[str, str], ...]  # (zh-CN, en)

    @property
    def uri(self) -> str:
        return f"{self.id}:v{self.version}"


POLICY = ValidationPolicy(
    id="urn:anxin:validation-policy:offline-ades",
    version="1",
    name="Anxin offline AdES validation policy",
    name_zh="安心授权离线 AdES 验证策略",
    rules=(
        ("只信任验证者给出的根证书（--trust / --trust-fingerprint 或本机数据目录）；"
         "包内的根证书不被信任。",
         "Trust only the roots the verifier gives (--trust / --trust-fingerprint, or the "
         "local data directory); a root inside the input is never trusted."),
        ("不联网获取任何数据：只使用文件内的证书、CRL、OCSP 响应和时间戳。",
         "Fetch nothing: only the certificates, CRLs, OCSP responses and timestamps in the "
         "input are used."),
        ("AdES 过去时间验证：以签名时间戳为最佳签名时间，"
         "以文档时间戳（归档时间戳）为验证数据的存在证明。",
         "AdES past signature validation: the signature timestamp gives the best signature "
         "time; the document (archive) timestamps give proofs of existence of the "
         "validation data."),
        ("终端实体证书（事件证书、时间戳证书、平台印章证书）必须有吊销信息（OCSP 或 CRL）；"
         "根证书不做吊销检查。",
         "Revocation information (OCSP or CRL) is required for end-entity certificates "
         "(event, TSA, seal); the trust anchor is not checked for revocation."),
        ("签名须为 PAdES 基线格式，签名覆盖其整个修订版本；"
         "之后的修订只能增加验证数据和文档时间戳。",
         "The signature is a PAdES baseline signature covering its whole revision; later "
         "revisions may only add validation data and document timestamps."),
        ("事件证书须绑定本授权编号和授权书 SHA-256；账本条目须包含在已签名的检查点中。",
         "The event certificate binds this authorization id and the letter's SHA-256; the "
         "ledger entries are included in a signed checkpoint."),
        ("任何检查失败即 TOTAL_FAILED；任何未能证明的事项即 INDETERMINATE；没有默认通过。",
         "Any failed check gives TOTAL_FAILED; anything not proven gives INDETERMINATE; "
         "nothing passes by default."),
    ),
)
