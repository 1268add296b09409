"""The TSA against OpenSSL: `openssl ts -query` → TSA → `openssl ts -reply/-verify`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import core, tsp
from fastapi.testclient import TestClient

from anxin.services.pki_services import DbSerialSource, open_pki_services
from tests.integration.pki_support import (
    FakeCtx,
    make_app,
    make_ctx,
    make_pki,
    openssl,
    sqlite_db,
    utcnow,
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeCtx, Path]]:
    root = tmp_path_factory.mktemp("tsa")
    settings, pki = make_pki(root)
    db = sqlite_db(root)
    ctx = make_ctx(settings, pki, db, DbSerialSource(db))
    (root / "data.txt").write_bytes("一份授权书 / an authorization letter\n".encode())
    yield ctx, root
    db.dispose()


@pytest.fixture(scope="module")
def client(env: tuple[FakeCtx, Path]) -> Iterator[TestClient]:
    with TestClient(make_app(env[0])) as c:
        yield c


def _query(root: Path, *flags: str) -> bytes:
    out = root / "query.tsq"
    openssl("ts", "-query", "-data", root / "data.txt", *flags, "-out", out)
    return out.read_bytes()


def _published_chain(client: TestClient, root: Path) -> tuple[Path, Path]:
    """root.crt and tsa.crt exactly as a verifier downloads them."""
    for name in ("root.crt", "tsa.crt"):
        response = client.get(f"/pki/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-pem-file"
        (root / f"dl-{name}").write_bytes(response.content)
    return root / "dl-root.crt", root / "dl-tsa.crt"


def _verify(root: Path, reply: bytes, ca: Path, untrusted: Path) -> str:
    (root / "reply.tsr").write_bytes(reply)
    return openssl("ts", "-verify", "-data", root / "data.txt", "-in", root / "reply.tsr",
                   "-CAfile", ca, "-untrusted", untrusted)


@pytest.mark.parametrize("flags", [
    ("-sha256", "-cert"), ("-sha256", "-cert", "-no_nonce"), ("-sha384", "-cert"),
    ("-sha512",), ("-sha256", "-no_nonce"),
])
def test_openssl_verifies_tokens_from_post_tsa(env: tuple[FakeCtx, Path], client: TestClient,
                                               flags: tuple[str, ...]) -> None:
    _, root = env
    query = _query(root, *flags)
    response = client.post("/tsa", content=query,
                           headers={"Content-Type": "application/timestamp-query"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/timestamp-reply"
    ca, untrusted = _published_chain(client, root)
    assert "Verification: OK" in _verify(root, response.content, ca, untrusted)
    (root / "reply.tsr").write_bytes(response.content)
    text = openssl("ts", "-reply", "-in", root / "reply.tsr", "-text")
    assert "Status: Granted." in text
    assert "Policy OID: 2.25.220222545698027225064232607535105138982.2" in text
    assert "Accuracy: 0x01 seconds" in text
    nonce = re.search(r"Nonce: (\S+)", _query_text(root))
    assert nonce is not None
    assert f"Nonce: {nonce.group(1)}" in text  # echoed, or "unspecified" for -no_nonce


def _query_text(root: Path) -> str:
    return openssl("ts", "-query", "-in", root / "query.tsq", "-text")


def test_in_process_response_verifies_too(env: tuple[FakeCtx, Path], client: TestClient
                                          ) -> None:
    ctx, root = env
    reply = ctx.tsa.respond(_query(root, "-sha256", "-cert"))
    ca, untrusted = _published_chain(client, root)
    assert "Verification: OK" in _verify(root, reply, ca, untrusted)


def test_a_changed_document_does_not_verify(env: tuple[FakeCtx, Path], client: TestClient
                                           ) -> None:
    ctx, root = env
    reply = ctx.tsa.respond(_query(root, "-sha256", "-cert"))
    ca, untrusted = _published_chain(client, root)
    (root / "reply.tsr").write_bytes(reply)
    (root / "other.txt").write_bytes(b"another document\n")
    with pytest.raises(AssertionError, match="message imprint mismatch"):
        openssl("ts", "-verify", "-data", root / "other.txt", "-in", root / "reply.tsr",
                "-CAfile", ca, "-untrusted", untrusted)


def test_a_foreign_root_does_not_verify(env: tuple[FakeCtx, Path], client: TestClient,
                                        tmp_path: Path) -> None:
    ctx, root = env
    _, foreign = make_pki(tmp_path)
    (tmp_path / "foreign-root.crt").write_bytes(foreign.pem("root.crt"))
    reply = ctx.tsa.respond(_query(root, "-sha256", "-cert"))
    _, untrusted = _published_chain(client, root)
    with pytest.raises(AssertionError, match="Verification: FAILED"):
        _verify(root, reply, tmp_path / "foreign-root.crt", untrusted)


def _rejection(reply: bytes) -> tuple[str, set[str]]:
    status = tsp.PKIStatusInfo.load(core.Sequence.load(reply)[0].dump())
    return status["status"].native, set(status["fail_info"].native)


def test_md5_query_is_rejected_with_bad_alg(env: tuple[FakeCtx, Path], client: TestClient
                                            ) -> None:
    _, root = env
    response = client.post("/tsa", content=_query(root, "-md5", "-cert"))
    assert response.status_code == 200
    assert _rejection(response.content) == ("rejection", {"bad_alg"})
    (root / "reply.tsr").write_bytes(response.content)
    text = openssl("ts", "-reply", "-in", root / "reply.tsr", "-text")
    assert "Status: Rejected." in text
    assert "unrecognized or unsupported algorithm" in text


def test_wrong_imprint_length_is_rejected(env: tuple[FakeCtx, Path], client: TestClient
                                          ) -> None:
    _, root = env
    request = tsp.TimeStampReq.load(_query(root, "-sha256"))
    truncated = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": request["message_imprint"]["hashed_message"]
                            .native[:20]},
        "nonce": request["nonce"].native})
    response = client.post("/tsa", content=truncated.dump())
    assert _rejection(response.content) == ("rejection", {"bad_data_format"})


@pytest.mark.parametrize("body", [b"", b"GET / HTTP/1.1\r\n", b"\x30\x82\xff\xff" + b"A" * 10,
                                  b"\x00" * 70000])
def test_garbage_is_rejected_not_a_500(client: TestClient, body: bytes) -> None:
    response = client.post("/tsa", content=body)
    assert response.status_code == 200
    assert _rejection(response.content) == ("rejection", {"bad_data_format"})


def test_open_pki_services_on_a_minimal_context(tmp_path: Path) -> None:
    """The factory the app uses, mounted on a context with only what the routes read."""
    settings, _ = make_pki(tmp_path)
    db = sqlite_db(tmp_path)
    services = open_pki_services(settings, db)

    class MinimalCtx:
        def __init__(self) -> None:
            self.db = db
            self.clock = utcnow
            self.pki, self.tsa = services.pki, services.tsa

    app = make_app(MinimalCtx())  # type: ignore[arg-type]
    (tmp_path / "data.txt").write_bytes(b"x\n")
    with TestClient(app) as client:
        reply = client.post("/tsa", content=_query(tmp_path, "-sha256", "-cert")).content
        (tmp_path / "root.crt").write_bytes(client.get("/pki/root.crt").content)
        (tmp_path / "tsa.crt").write_bytes(client.get("/pki/tsa.crt").content)
        assert client.get("/pki/issuing.crl").status_code == 200
    assert "Verification: OK" in _verify(tmp_path, reply, tmp_path / "root.crt",
                                         tmp_path / "tsa.crt")
    info = tsp.TimeStampResp.load(reply)["time_stamp_token"]["content"][
        "encap_content_info"]["content"].parsed
    assert info["serial_number"].native == 1  # the first number of the database counter
    db.dispose()
