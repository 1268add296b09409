"""Within ``names_prepared_once`` each distinct name value is prepared once and compares
as asn1crypto compares it; outside, asn1crypto prepares every object's values itself."""

import pytest
from asn1crypto import x509 as asn1_x509

from anxin.letters import prepared_names
from anxin.letters.prepared_names import ORIGINAL, names_prepared_once

VALUES = ["Anxin Issuing CA 5c23aa0b", "  Zhang   San ", "ＡＢＣ", "straße", "İstanbul", "a\u00adb"]


def _name(value: str) -> asn1_x509.Name:
    return asn1_x509.Name.build({"common_name": value, "organization_name": "Anxin"})


@pytest.mark.parametrize("value", VALUES)
def test_same_preparation_and_comparison(value: str) -> None:
    plain = _name(value).hashable
    with names_prepared_once():
        assert _name(value).hashable == plain
        assert _name(value) == _name(value)
        assert _name(value) != _name(value + "x")
    ntv = _name(value).chosen[0][0]
    assert ntv._ldap_string_prep(value) == ORIGINAL(ntv, value)


def test_each_value_prepared_once_inside_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def counting(self: object, string: str) -> str:
        seen.append(string)
        return ORIGINAL(self, string)

    cls = asn1_x509.NameTypeAndValue
    monkeypatch.setattr(cls, "_ldap_string_prep", cls._ldap_string_prep)  # undone after
    monkeypatch.setattr(cls._ldap_string_prep, "__anxin_original__", counting)
    prepared_names._install()  # now wrapping ``counting``
    with names_prepared_once():
        for _ in range(3):
            _ = _name("Anxin TSA").hashable
            with names_prepared_once():  # nested: the same memory
                _ = _name("Anxin TSA").hashable
    assert sorted(seen) == ["Anxin", "Anxin TSA"]
    seen.clear()
    for _ in range(2):
        _ = _name("Anxin TSA").hashable
    assert len(seen) == 4  # outside: every new object prepares its values


def test_names_compare_as_asn1crypto_compares_them() -> None:
    a = asn1_x509.Name.build({"common_name": "Anxin  Issuing CA", "organization_name": "Anxin"})
    b = asn1_x509.Name.load(asn1_x509.Name.build(
        {"common_name": "anxin issuing ca", "organization_name": "ANXIN"}).dump())
    c = asn1_x509.Name.build({"common_name": "Anxin TSA", "organization_name": "Anxin"})
    expected = [a == b, a == c, b != c]
    assert expected == [True, False, True]
    with names_prepared_once():
        assert [a == b, a == c, b != c] * 2 == expected * 2
        assert (a == "not a name") is False
        # A name changed in place is compared as it is now, not as it was remembered.
        grown = b.copy()
        assert grown == a
        grown.chosen.append(c.chosen[0])
        assert grown != a
        assert prepared_names.ORIGINAL_EQ(grown, a) is False


def test_a_comparison_that_raises_raises_every_time() -> None:
    bad = asn1_x509.Name.build({"common_name": "a\ufffd"})
    good = asn1_x509.Name.build({"common_name": "a"})
    with names_prepared_once():
        for _ in range(2):
            with pytest.raises(ValueError, match="replacement character"):
                _ = asn1_x509.Name.load(bad.dump()) == good


def _issuer() -> asn1_x509.Certificate:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Anxin Issuing CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _uri(url: str) -> asn1_x509.GeneralName:
    return asn1_x509.GeneralName(name="uniform_resource_identifier", value=url)


def _dps(*urls: str) -> asn1_x509.CRLDistributionPoints:
    return asn1_x509.CRLDistributionPoints([
        {"distribution_point": asn1_x509.DistributionPointName(
            name="full_name", value=[_uri(u)])} for u in urls])


def test_distribution_points_match_as_pyhanko_matches_them_once_each(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from asn1crypto import crl as asn1_crl
    from pyhanko_certvalidator.revinfo import validate_crl

    issuer = _issuer()
    idp = asn1_crl.IssuingDistributionPoint({
        "distribution_point": asn1_x509.DistributionPointName(
            name="full_name", value=[_uri("http://anxin.test/issuing.crl")])})
    relative = asn1_crl.IssuingDistributionPoint({
        "distribution_point": asn1_x509.DistributionPointName(
            name="name_relative_to_crl_issuer",
            value=asn1_x509.Name.build({"common_name": "part 1"}).chosen[0])})
    cases = [(idp, _dps("http://anxin.test/issuing.crl")), (idp, _dps("http://other/x.crl")),
             (idp, None), (relative, _dps("http://anxin.test/issuing.crl"))]
    original = prepared_names.ORIGINAL_DP_MATCH
    expected = [original(i, d, issuer, issuer.subject) for i, d in cases]
    assert expected == [True, False, False, False]
    calls: list[object] = []

    def counting(*args: object) -> bool:
        calls.append(args)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(validate_crl, "_match_dps_idp_names",
                        validate_crl._match_dps_idp_names)  # undone after
    monkeypatch.setattr(validate_crl._match_dps_idp_names, "__anxin_original__", counting)
    prepared_names._install_dp_match()  # now wrapping ``counting``
    match = validate_crl._match_dps_idp_names
    with names_prepared_once():
        for _ in range(3):
            assert [match(i, d, issuer, issuer.subject) for i, d in cases] == expected
            # The same names, parsed again: the same DER, the same answer.
            assert match(asn1_crl.IssuingDistributionPoint.load(idp.dump()),
                         _dps("http://anxin.test/issuing.crl"), issuer,
                         issuer.subject) is True
    assert len(calls) == len(cases)
    calls.clear()
    assert [match(i, d, issuer, issuer.subject) for i, d in cases] == expected
    assert len(calls) == len(cases)  # outside: pyHanko's own, every time


@pytest.mark.parametrize("value", VALUES)
def test_hashable_as_asn1crypto_computes_it(value: str) -> None:
    plain = prepared_names.ORIGINAL_HASHABLE(_name(value))
    with names_prepared_once():
        for _ in range(2):
            assert _name(value).hashable == plain
            assert asn1_x509.Name.load(_name(value).dump()).hashable == plain
        # A name changed in place is keyed by what it is now.
        grown = _name(value).copy()
        grown.chosen.append(_name("Anxin TSA").chosen[0])
        assert grown.hashable == prepared_names.ORIGINAL_HASHABLE(grown) != plain
    assert _name(value).hashable == plain


def test_issuer_serial_matches_as_pyhanko_matches_it_once_each(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from asn1crypto import cms
    from pyhanko.sign import general

    cert, other = _issuer(), _issuer()
    stranger = asn1_x509.Name.build({"common_name": "Another CA"})
    ids = [cms.IssuerAndSerialNumber({"issuer": name, "serial_number": n})
           for name, n in ((cert.issuer, 7), (cert.issuer, 8), (stranger, 7))]
    original = prepared_names.ORIGINAL_ISSUER_SERIAL
    expected = [original(i, cert) for i in ids]
    assert expected == [True, False, False]
    calls: list[object] = []

    def counting(*args: object) -> bool:
        calls.append(args)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(general, "match_issuer_serial", general.match_issuer_serial)
    monkeypatch.setattr(general.match_issuer_serial, "__anxin_original__", counting)
    prepared_names._install_issuer_serial()  # now wrapping ``counting``
    with names_prepared_once():
        for _ in range(3):
            assert [general.match_issuer_serial(i, cert) for i in ids] == expected
            # Another certificate (another key) with the same issuer and serial.
            assert general.match_issuer_serial(ids[0], other) is True
    assert len(calls) == len(ids) + 1
    calls.clear()
    assert [general.match_issuer_serial(i, cert) for i in ids] == expected
    assert len(calls) == len(ids)  # outside: pyHanko's own, every time
