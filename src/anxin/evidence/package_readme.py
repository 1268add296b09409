"""The evidence package's README.txt (zh-CN and en): what the package is and how to check
it, trusting a root obtained from the operator's published source, never the package's
own copy. The root's SHA-256 fingerprint (of its DER) is written in, so a reader can
compare it with the published root before trusting anything.
"""

from __future__ import annotations

from typing import Any

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


def readme(pki: Any, base_url: str) -> str:
    from anxin.evidence.anchors import colon_hex, fingerprint
    from anxin.evidence.labels import readable_name
    fp = fingerprint(pki.root_cert)
    return README.format(base_url=base_url.rstrip("/"), fingerprint=fp,
                         fingerprint_colon=colon_hex(fp),
                         root_subject=readable_name(pki.root_cert.subject))
