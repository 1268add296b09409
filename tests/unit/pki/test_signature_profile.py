"""The signature profile is fixed once per data directory and never changes silently."""

import pytest

from anxin.error_codes import Code
from anxin.errors import ConfigurationError
from anxin.pki.signature_profile import (
    Profile,
    ProfileMismatch,
    check_profile,
    fix_profile,
    read_profile,
)


def test_first_init_fixes_the_requested_profile(tmp_path):
    keys = tmp_path / "keys"
    assert fix_profile(keys, Profile.SM) is True
    assert read_profile(keys) is Profile.SM
    assert (keys / "profile").read_text() == "sm\n"
    assert (keys / "profile").stat().st_mode & 0o077 == 0


def test_default_is_intl(tmp_path):
    assert fix_profile(tmp_path, None) is True
    assert read_profile(tmp_path) is Profile.INTL


@pytest.mark.parametrize(("fixed", "asked"), [
    (Profile.INTL, Profile.SM), (Profile.SM, Profile.DUAL), (Profile.DUAL, Profile.INTL)])
def test_another_profile_is_refused_naming_both(tmp_path, fixed, asked):
    fix_profile(tmp_path, fixed)
    with pytest.raises(ProfileMismatch) as err:
        fix_profile(tmp_path, asked)
    assert f"'{fixed.value}'" in err.value.detail
    assert f"'{asked.value}'" in err.value.detail
    assert err.value.code == Code.PROFILE_MISMATCH
    assert read_profile(tmp_path) is fixed  # nothing changed
    with pytest.raises(ProfileMismatch):
        check_profile(tmp_path, asked)


def test_the_same_profile_again_changes_nothing(tmp_path):
    fix_profile(tmp_path, Profile.DUAL)
    assert fix_profile(tmp_path, Profile.DUAL) is False
    assert fix_profile(tmp_path, None) is False
    assert check_profile(tmp_path, None) is Profile.DUAL


def test_a_pki_made_before_profiles_is_intl(tmp_path):
    (tmp_path / "root.crt").write_text("legacy")
    with pytest.raises(ProfileMismatch):
        fix_profile(tmp_path, Profile.SM)
    assert not (tmp_path / "profile").exists()
    assert fix_profile(tmp_path, None) is True
    assert read_profile(tmp_path) is Profile.INTL


def test_a_damaged_profile_file_is_a_clear_error(tmp_path):
    (tmp_path / "profile").write_text("gm\n")
    with pytest.raises(ConfigurationError, match="names no signature profile"):
        read_profile(tmp_path)


def test_what_each_profile_makes():
    assert (Profile.INTL.has_intl, Profile.INTL.has_sm) == (True, False)
    assert (Profile.SM.has_intl, Profile.SM.has_sm) == (False, True)
    assert (Profile.DUAL.has_intl, Profile.DUAL.has_sm) == (True, True)
