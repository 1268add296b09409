"""The evidence package's README.txt (zh-CN and en): what the package is and how to check
it, trusting a root obtained from the operator's published source, never the package's
own copy. The root's SHA-256 fingerprint (of its DER) is written in, so a reader can
compare it with the published root before trusting anything.

In the ``sm`` and ``dual`` profiles (issue 14) it adds a section on the ``sm2/`` files and
``manifest.sm2.p7s``, with the SM2 root's fingerprint and the commands that check them
with ordinary tools (OpenSSL 3 where it can: chains with ``-vfyopt distid:…``, SM3 digests,
raw SM2 signatures with ``pkeyutl``; ``anxin verify`` for the CMS and tokens that OpenSSL
3.0's ``cms``/``ts -verify`` cannot check). In ``sm`` the intl trust section names the SM2
root, as there is no intl evidence.
"""

from __future__ import annotations

import hashlib
from typing import Any

from anxin.pki.signature_profile import Profile

README = """Anxin evidence package / 安心授权证据包
=========================================

This archive proves one authorization of personal-data use: who agreed, to what,
when, how they were identified, and every use made of it. Everything in it can be
checked offline, with ordinary tools.

本压缩包证明一次个人信息使用授权：谁、同意了什么、何时、如何核验身份，以及每一次使用。
所有内容均可离线、用通用工具核验。

Trust / 信任
------------
Do NOT trust certificates/root.crt from inside this archive: anyone running Anxin can
make a package that chains to a root of their own. Obtain the operator's root from its
published source and compare fingerprints:

请勿信任本压缩包内的 certificates/root.crt：任何运行 Anxin 的人都能制作一个链到其自有根证书
的证据包。请从运营方公布的来源获取根证书，并比对指纹：

  1. Download / 下载:  {base_url}/pki/root.crt  ->  published-root.crt
     (or obtain it from the operator out of band / 或经其他可靠渠道从运营方取得)
  2. Fingerprint / 指纹 (SHA-256 of the DER / DER 编码的 SHA-256):
       openssl x509 -in published-root.crt -noout -fingerprint -sha256
     It must be / 应为:
       {fingerprint_colon}
       ({fingerprint})
     Root named by this package / 本包声明的根证书:  {root_subject}
  3. Verify / 核验:
       anxin verify this.zip --trust published-root.crt
       anxin verify this.zip --trust-fingerprint {fingerprint}

The verification report (report.json, report.pdf, report.xml) states two answers: whether
the consent was validly given and signed (TOTAL_PASSED / TOTAL_FAILED / INDETERMINATE),
and its status when this package was made (active, exhausted, expired, revoked ...).
验证报告给出两个答案：同意是否有效作出并签署；以及制作本包时授权的状态（有效、次数用尽、
过期、已撤销……）。report.xml follows ETSI TS 119 102-2 / 符合 ETSI TS 119 102-2。

Other tools / 其他工具 (with the root you obtained / 使用您自行取得的根证书):
  pdfsig letter.pdf            (poppler; add published-root.crt to the NSS database first)
  pyhanko sign adesverify --trust published-root.crt --trust-replace letter.pdf
  openssl ts -verify -in ledger/checkpoint.tst -token_in -data ledger/checkpoint.txt \\
      -CAfile published-root.crt -untrusted certificates/tsa.crt
  openssl cms -verify -binary -inform DER -in manifest.p7s -content manifest.json \\
      -CAfile published-root.crt -certfile certificates/issuing.crt -purpose any

manifest.json lists the SHA-256 of every file; manifest.p7s is its detached signature
by the platform seal, timestamped. The ledger entries are RFC 9162 Merkle leaves with
inclusion proofs against ledger/checkpoint.txt, a C2SP signed note (Ed25519) whose key
is ledger/verifier-key.txt; each entry of this authorization chains to the one before it,
and ledger/commitment-key.json opens the keyed commitments to references and operators.
That no later entry of this authorization exists is checked against the public log:
  anxin verify this.zip --trust published-root.crt --ledger {base_url}
manifest.json 列出每个文件的 SHA-256；manifest.p7s 是平台印章对它的分离签名（带时间戳）。
账本条目是 RFC 9162 默克尔树叶子，附有对 ledger/checkpoint.txt（C2SP 签名检查点）的包含证明；
本授权的每个条目都链接到前一条，ledger/commitment-key.json 可打开对业务编号和操作人的承诺。
是否另有更新的条目，可用 --ledger 对照公开账本核验。

Years later / 多年之后
----------------------
The letter is PAdES-BASELINE-LTA; the operator renews its archive timestamps before each
TSA certificate ages out. This copy stays verifiable offline until the TSA certificate of
its newest archive timestamp (and the seal's) expires; then fetch the current package:
  anxin archive renew this.zip --server {base_url} --api-key KEY
授权书为 PAdES-BASELINE-LTA 格式；运营方会在时间戳证书到期前续签存档时间戳。本副本在其最新存档
时间戳证书（及印章证书）到期前均可离线核验；之后请重新获取最新证据包。
"""


SM2_SECTION = """
SM2/SM3 (national cryptography / 国密), profile {profile}
-----------------------------------------------------
This package is also sealed with SM2 and SM3 (GM/T 0003, GB/T 32905, GB/T 35275).
本证据包另以 SM2/SM3 国密算法封印。All SM2 files are under sm2/ / 所有 SM2 文件位于 sm2/ 下:

  sm2/certificates/*.crt      SM2 root, issuing CA, TSA, seal, event certificate (PEM)
                              SM2 根证书、签发 CA、时间戳、印章、事件证书
  sm2/revocation/*.crl|.der   SM2-signed CRLs and OCSP responses / SM2 签名的 CRL 与 OCSP 响应
  sm2/timestamps/signature.tst  the SM2 signature's timestamp token (SM3 imprint)
                              SM2 签名的时间戳（SM3 摘要）
  sm2/ledger/verifier-key.txt the key of the checkpoint's SM2 line / 检查点 SM2 签名行的验证密钥
  sm2/ledger/leaves-sm3.json  SM3(0x00 || leaf) of every ledger entry / 每个账本叶子的 SM3
  manifest.json "files_sm3"   the SM3 of every file / 每个文件的 SM3 摘要
  manifest.sm2.p7s            SM2 CMS (detached) over SM3 of manifest.json by the SM2 seal,
                              with an SM2 timestamp
                              SM2 印章对 manifest.json 的分离签名（带时间戳）

SM2 root / SM2 根证书: {sm2_base}/pki/sm2/root.crt
  SHA-256 fingerprint / 指纹:  {sm2_fingerprint}
  anxin verify this.zip --trust-fingerprint {sm2_fingerprint}

With OpenSSL 3 (user id / 用户标识 1234567812345678; the SM2 root you obtained):
  openssl verify -vfyopt distid:1234567812345678 -CAfile published-sm2-root.crt \\
      sm2/certificates/issuing.crt
  openssl verify -vfyopt distid:1234567812345678 -partial_chain \\
      -CAfile sm2/certificates/issuing.crt -purpose any sm2/certificates/seal.crt
  openssl dgst -sm3 letter.pdf          (compare with manifest.json "files_sm3")
  (printf '\\0'; cat leaf.bin) | openssl dgst -sm3   (a leaf's SM3; leaf.bin = base64 -d of
                                        an entry's "data" in ledger/entries.json)
  openssl cms -cmsout -print -inform DER -in manifest.sm2.p7s   (prints the SM2 CMS)
OpenSSL 3.0 cannot verify an SM2 CMS, CRL or OCSP signature or an SM2 timestamp token itself
(no user-id option there); `anxin verify` checks them all and names each check. The
docs (docs/pki.md, docs/verification.md) give the asn1parse + pkeyutl steps for each.
OpenSSL 3.0 不能直接核验 SM2 的 CMS、CRL、OCSP 签名和时间戳；请用 anxin verify，或按文档
以 asn1parse + pkeyutl 逐项核验。
"""

SM_ONLY_NOTE = """
Profile sm / 国密版: this package carries no ECDSA or SHA-256 signature of its own: the root
to obtain and trust above is the SM2 root ({base_url}/pki/root.crt serves it in this
deployment), its copy here is sm2/certificates/root.crt, and manifest.sm2.p7s is the seal.
certificates/*, revocation/*, manifest.p7s and timestamps/signature.tst are absent;
ledger/checkpoint.tst is an SM2 token over the SM3 of ledger/checkpoint.txt.
本包为国密版：仅有 SM2/SM3 签名与摘要；应取得并信任的是 SM2 根证书。
"""


def _sm2_fingerprint(cert: Any) -> str:
    """SHA-256 of an asn1crypto certificate's DER (what --trust-fingerprint takes)."""
    return hashlib.sha256(cert.dump()).hexdigest()


def readme(pki: Any, base_url: str, *, profile: Profile = Profile.INTL,
           sm2_root: Any = None) -> str:
    """README.txt for a package of ``profile``; ``sm2_root`` (asn1crypto) in sm and dual."""
    from anxin.evidence.anchors import colon_hex, fingerprint
    from anxin.evidence.labels import readable_name
    base = base_url.rstrip("/")
    if profile.has_sm and sm2_root is None:
        raise ValueError(f"a {profile.value} package's README needs the SM2 root")
    if profile.has_intl:
        fp = fingerprint(pki.root_cert)
        subject = readable_name(pki.root_cert.subject)
    else:
        fp = _sm2_fingerprint(sm2_root)
        subject = sm2_root.subject.human_friendly
    text = README.format(base_url=base, fingerprint=fp, fingerprint_colon=colon_hex(fp),
                         root_subject=subject)
    if not profile.has_intl:
        text += SM_ONLY_NOTE.format(base_url=base)
    if profile.has_sm:
        text += SM2_SECTION.format(profile=profile.value, sm2_base=base,
                                   sm2_fingerprint=_sm2_fingerprint(sm2_root))
    return text
