"""Strict settings (issue 13): a typo in anxin.toml is an error naming the key and the
file; ANXIN_SMS / ANXIN_REALNAME are typed choices whose errors name the allowed values;
unknown ANXIN_* environment variables are ignored (the environment is shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from anxin.config import (
    ProviderChoice,
    RealNameProvider,
    Settings,
    SmsProvider,
    load_settings,
)
from anxin.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANXIN_SMS", "ANXIN_REALNAME", "ANXIN_SMS_LIMIT_PER_IP"):
        monkeypatch.delenv(name, raising=False)


def write_toml(data_dir: Path, text: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "anxin.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_typo_in_the_toml_file_names_the_key_the_file_and_the_likely_one(
        tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'sms = "outbox"\nsms_limit_per_ipp = 40\n')
    with pytest.raises(ConfigurationError) as caught:
        load_settings(data_dir=tmp_path)
    detail = caught.value.detail
    assert str(path) in detail
    assert "unknown setting 'sms_limit_per_ipp'" in detail
    assert "did you mean 'sms_limit_per_ip'?" in detail


def test_every_bad_key_is_named_at_once(tmp_path: Path) -> None:
    write_toml(tmp_path, 'prot = 1\nhots = "x"\n')
    with pytest.raises(ConfigurationError) as caught:
        load_settings(data_dir=tmp_path)
    assert "'prot'" in caught.value.detail
    assert "'hots'" in caught.value.detail


def test_a_typo_inside_a_purpose_ceiling_table_is_named(tmp_path: Path) -> None:
    write_toml(tmp_path, "[purpose_ceilings.loan_approval]\nmax_use = 3\n")
    with pytest.raises(ConfigurationError,
                       match=r"unknown key 'max_use' in \[purpose_ceilings.loan_approval\] "
                             r"\(did you mean 'max_uses'\?\)"):
        load_settings(data_dir=tmp_path)


def test_a_bad_value_in_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'port = "eighty"\n')
    with pytest.raises(ConfigurationError, match=rf"{path}: port: "):
        load_settings(data_dir=tmp_path)


def test_the_written_default_file_and_valid_keys_still_load(tmp_path: Path) -> None:
    from anxin.services.setup import DEFAULT_TOML
    write_toml(tmp_path, "sms_limit_per_ip = 40\n" + DEFAULT_TOML)
    s = load_settings(data_dir=tmp_path)
    assert s.sms_limit_per_ip == 40
    assert s.purpose_ceilings == {"loan_approval": {"max_validity_days": 90, "max_uses": 3}}


def test_unknown_anxin_environment_variables_are_ignored(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setenv("ANXIN_SOMETHING_ELSE", "1")
    monkeypatch.setenv("ANXIN_OPERATOR_PASSWORD", "not a setting")
    assert load_settings(data_dir=tmp_path).port == 8000


def test_an_unknown_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="an option: unknown setting 'prot'"):
        load_settings(data_dir=tmp_path, prot=1)


@pytest.mark.parametrize(("value", "provider", "url"), [
    ("outbox", SmsProvider.OUTBOX, None),
    ("webhook:https://sms.example.test/send", SmsProvider.WEBHOOK,
     "https://sms.example.test/send"),
])
def test_sms_is_a_typed_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str,
                               provider: SmsProvider, url: str | None) -> None:
    monkeypatch.setenv("ANXIN_SMS", value)
    s = load_settings(data_dir=tmp_path)
    assert s.sms == value  # the contract's spelling is unchanged
    assert s.sms_provider == ProviderChoice(provider, url)


@pytest.mark.parametrize("value", ["outbx", "webhook", "webhook:", "webhook:ftp://x",
                                   "outbox:x", "OUTBOX", ""])
def test_a_bad_sms_choice_names_the_allowed_values(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   value: str) -> None:
    monkeypatch.setenv("ANXIN_SMS", value)
    with pytest.raises(ConfigurationError, match=r"^ANXIN_SMS: ") as caught:
        load_settings(data_dir=tmp_path)
    assert "'outbox'" in caught.value.detail or "webhook:<url>" in caught.value.detail
    assert repr(value) in caught.value.detail


def test_realname_is_a_typed_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(data_dir=tmp_path).realname_provider == ProviderChoice(
        RealNameProvider.NONE)
    monkeypatch.setenv("ANXIN_REALNAME", "webhook:http://10.0.0.5/check")
    assert load_settings(data_dir=tmp_path).realname_provider == ProviderChoice(
        RealNameProvider.WEBHOOK, "http://10.0.0.5/check")
    monkeypatch.setenv("ANXIN_REALNAME", "outbox")
    with pytest.raises(ConfigurationError,
                       match=r"ANXIN_REALNAME: must be 'none' or 'webhook:<url>', "
                             r"not 'outbox'"):
        load_settings(data_dir=tmp_path)


def test_a_bad_choice_in_the_file_names_the_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'realname = "yes"\n')
    with pytest.raises(ConfigurationError,
                       match=rf"{path}: realname: must be 'none' or 'webhook:<url>'"):
        load_settings(data_dir=tmp_path)


def test_settings_forbid_unknown_fields_directly() -> None:
    with pytest.raises(ValueError, match="smss"):
        Settings(smss="outbox")  # type: ignore[call-arg]
