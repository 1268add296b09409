"""Issue 12 item 3: the client address behind proxies. ``X-Forwarded-For`` is believed
only when the direct peer is one of ``ANXIN_TRUSTED_PROXIES``, read from the right, so a
client cannot pick the address its SMS are counted against."""

from __future__ import annotations

import pytest

from anxin.config import load_settings
from anxin.errors import ConfigurationError
from anxin.web.client_ip import resolve_client_ip, trusted_networks

NETS = trusted_networks(("10.0.0.0/8", "2001:db8:ff::/48", "192.0.2.1"))


@pytest.mark.parametrize(("peer", "xff", "expected"), [
    # No trusted proxy in front: the header is the client's own words.
    ("203.0.113.50", "198.51.100.7", "203.0.113.50"),
    ("203.0.113.50", None, "203.0.113.50"),
    # Behind a trusted proxy: the right-most address that is not a trusted proxy.
    ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
    ("10.0.0.2", "1.1.1.1, 8.8.8.8, 198.51.100.7", "198.51.100.7"),  # spoofed left part
    ("10.0.0.2", "198.51.100.7, 10.1.1.1, 192.0.2.1", "198.51.100.7"),  # proxy chain
    ("10.0.0.2", "10.3.3.3", "10.3.3.3"),  # only proxies: the farthest one
    ("10.0.0.2", "garbage, 198.51.100.7", "198.51.100.7"),
    ("10.0.0.2", "198.51.100.7, garbage", "10.0.0.2"),  # a broken hop is not believed
    ("10.0.0.2", "198.51.100.7:4711", "198.51.100.7"),
    ("2001:db8:ff::5", "[2001:db8:1::9]:443", "2001:db8:1::9"),
    ("::ffff:10.0.0.2", "198.51.100.7", "198.51.100.7"),  # v4-mapped peer
    ("192.0.2.1", "198.51.100.8", "198.51.100.8"),  # a single address, not a CIDR
    ("192.0.2.2", "198.51.100.8", "192.0.2.2"),
])
def test_forwarded_for_only_behind_trusted_proxies(peer: str, xff: str | None,
                                                   expected: str) -> None:
    assert resolve_client_ip(peer, xff, NETS) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert resolve_client_ip("10.0.0.2", "198.51.100.7", trusted_networks(())) == "10.0.0.2"


def test_trusted_proxies_setting_is_a_comma_list_and_checked(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ANXIN_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    assert load_settings(data_dir=tmp_path).trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
    monkeypatch.setenv("ANXIN_TRUSTED_PROXIES", "10.0.0.0/33")
    with pytest.raises(ConfigurationError, match=r"ANXIN_TRUSTED_PROXIES: .*10\.0\.0\.0/33"):
        load_settings(data_dir=tmp_path)


def test_sms_countries_setting_defaults_to_86(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("ANXIN_SMS_COUNTRIES", raising=False)
    assert load_settings(data_dir=tmp_path).sms_countries == ("86",)
    monkeypatch.setenv("ANXIN_SMS_COUNTRIES", "86,+852")
    assert load_settings(data_dir=tmp_path).sms_countries == ("86", "852")
    monkeypatch.setenv("ANXIN_SMS_COUNTRIES", "86,abc")
    with pytest.raises(ConfigurationError, match=r"ANXIN_SMS_COUNTRIES: .*abc"):
        load_settings(data_dir=tmp_path)
