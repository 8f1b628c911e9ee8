"""The encrypted credential store: where the master key comes from, and refusing what is wrong."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from incidentkit.credentials import (
    MASTER_KEY_ENV,
    MASTER_KEY_FILE_ENV,
    CredentialStore,
    CredentialStoreError,
    Secret,
)

KEY = "inc_live_0123456789abcdef"


class MemoryKeyring:
    """An OS keyring reduced to a dictionary: the two calls the store makes, and nothing else."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service_name: str, username: str) -> str | None:
        return self.saved.get((service_name, username))

    def set_password(self, service_name: str, username: str, password: str) -> None:
        self.saved[(service_name, username)] = password


class LockedKeyring:
    """A keyring that refuses, as a locked desktop keyring does."""

    def get_password(self, service_name: str, username: str) -> str | None:
        raise RuntimeError("the keyring is locked")

    def set_password(self, service_name: str, username: str, password: str) -> None:
        raise RuntimeError("the keyring is locked")


@pytest.fixture(autouse=True)
def no_master_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)
    monkeypatch.delenv(MASTER_KEY_FILE_ENV, raising=False)


def a_master_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_a_saved_key_comes_back_and_is_not_on_disk_in_clear(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    store.save_profile("acme", KEY, base_url="http://127.0.0.1:9")
    profile = CredentialStore(tmp_path, keyring=None).get_profile("acme")
    assert profile is not None
    assert profile.api_key.reveal() == KEY
    assert profile.base_url == "http://127.0.0.1:9"
    assert KEY not in (tmp_path / "credentials.json").read_text()
    assert KEY not in repr(profile) and KEY not in str(profile.api_key)


def test_the_key_file_and_the_store_are_readable_only_by_their_owner(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    store.save_profile("acme", KEY)
    assert store.key_source == f"master key in {tmp_path / 'master.key'}"
    for name in ("master.key", "credentials.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_the_os_keyring_comes_first_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MASTER_KEY_ENV, a_master_key())
    keyring = MemoryKeyring()
    store = CredentialStore(tmp_path, keyring=keyring)
    store.save_profile("acme", KEY)
    assert store.key_source == "master key in the OS keyring"
    assert list(keyring.saved) == [("incidentkit", "master-key")]
    assert not (tmp_path / "master.key").exists()
    monkeypatch.delenv(MASTER_KEY_ENV)
    again = CredentialStore(tmp_path, keyring=keyring).get_profile("acme")
    assert again is not None and again.api_key.reveal() == KEY


def test_a_locked_keyring_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=LockedKeyring())
    with pytest.raises(CredentialStoreError, match="OS keyring did not give the master key"):
        store.save_profile("acme", KEY)
    assert not (tmp_path / "master.key").exists()


def test_an_existing_key_file_comes_before_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    CredentialStore(tmp_path, keyring=None).save_profile("acme", KEY)
    monkeypatch.setenv(MASTER_KEY_ENV, a_master_key())
    store = CredentialStore(tmp_path, keyring=None)
    profile = store.get_profile("acme")
    assert profile is not None and profile.api_key.reveal() == KEY
    assert store.key_source == f"master key in {tmp_path / 'master.key'}"


def test_the_environment_key_is_used_when_there_is_no_keyring_and_no_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MASTER_KEY_ENV, a_master_key())
    store = CredentialStore(tmp_path, keyring=None)
    store.save_profile("ci", KEY)
    assert store.key_source == f"master key from {MASTER_KEY_ENV}"
    assert not (tmp_path / "master.key").exists()
    monkeypatch.setenv(MASTER_KEY_ENV, a_master_key())  # another master key cannot decrypt it
    with pytest.raises(
        CredentialStoreError, match=f"does not decrypt with the master key from {MASTER_KEY_ENV}"
    ):
        CredentialStore(tmp_path, keyring=None).get_profile("ci")


def test_a_malformed_environment_key_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MASTER_KEY_ENV, "c2hvcnQ=")
    with pytest.raises(CredentialStoreError, match=r"must hold 32 bytes.*openssl rand -base64 32"):
        CredentialStore(tmp_path, keyring=None).save_profile("ci", KEY)


@pytest.mark.parametrize("name", ["master.key", "credentials.json"])
def test_a_file_others_can_read_is_refused(tmp_path: Path, name: str) -> None:
    CredentialStore(tmp_path, keyring=None).save_profile("acme", KEY)
    (tmp_path / name).chmod(0o644)
    with pytest.raises(CredentialStoreError, match=rf"{name} can be read by other users \(mode 0644\)"):
        CredentialStore(tmp_path, keyring=None).get_profile("acme")
    with pytest.raises(CredentialStoreError, match="chmod 600"):
        CredentialStore(tmp_path, keyring=None).list_profiles()


def test_a_tampered_ciphertext_does_not_decrypt(tmp_path: Path) -> None:
    CredentialStore(tmp_path, keyring=None).save_profile("acme", KEY)
    path = tmp_path / "credentials.json"
    data = json.loads(path.read_text())
    sealed = bytearray(base64.b64decode(data["profiles"]["acme"]["ciphertext"]))
    sealed[0] ^= 1
    data["profiles"]["acme"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    path.write_text(json.dumps(data))
    store = CredentialStore(tmp_path, keyring=None)
    with pytest.raises(CredentialStoreError, match=r"profile 'acme'.*does not decrypt.*setup --profile acme"):
        store.get_profile("acme")
    assert [p.fingerprint for p in store.list_profiles()] == ["(does not decrypt)"]


def test_a_ciphertext_moved_to_another_profile_does_not_decrypt(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    store.save_profile("acme", KEY)
    store.save_profile("other", "another-key")
    path = tmp_path / "credentials.json"
    data = json.loads(path.read_text())
    data["profiles"]["other"] = {**data["profiles"]["acme"]}
    path.write_text(json.dumps(data))
    with pytest.raises(CredentialStoreError, match="profile 'other'"):
        CredentialStore(tmp_path, keyring=None).get_profile("other")


def test_a_store_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    CredentialStore(tmp_path, keyring=None).save_profile("acme", KEY)
    (tmp_path / "credentials.json").write_text('{\n  "profiles": {,\n}')
    with pytest.raises(CredentialStoreError, match=r"not valid JSON \(line 2\)"):
        CredentialStore(tmp_path, keyring=None).get_profile()


def test_profiles_default_use_and_remove(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    store.save_profile("acme", KEY)
    store.save_profile("globex", "globex-key")
    assert [(p.name, p.is_default) for p in store.list_profiles()] == [("acme", True), ("globex", False)]
    store.use("globex")
    default = store.get_profile()
    assert default is not None and default.name == "globex"
    store.remove("globex")
    remaining = store.get_profile()
    assert remaining is not None and remaining.name == "acme"
    with pytest.raises(CredentialStoreError, match="no profile named 'nope'; saved profiles: acme"):
        store.use("nope")


def test_a_secret_never_shows_itself() -> None:
    secret = Secret(KEY)
    assert KEY not in repr(secret) and KEY not in f"{secret}" and KEY not in str([secret])


@pytest.mark.parametrize("name", ["master.key", "credentials.json"])
def test_a_file_that_cannot_be_read_is_a_clear_error(tmp_path: Path, name: str) -> None:
    CredentialStore(tmp_path, keyring=None).save_profile("acme", KEY)
    (tmp_path / name).unlink()
    (tmp_path / name).mkdir(mode=0o700)  # something that is not a file stands in its place
    with pytest.raises(CredentialStoreError, match=rf"{name} is not a regular file"):
        CredentialStore(tmp_path, keyring=None).get_profile("acme")


def test_a_store_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "credentials.tmp").mkdir()  # the temporary file cannot be created
    with pytest.raises(CredentialStoreError, match=r"cannot use .*credentials.json: .*a file you own"):
        CredentialStore(tmp_path, keyring=None).save_profile("acme", KEY)


def test_a_key_file_elsewhere_keeps_the_master_key_apart_from_the_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "secrets" / "incidentkit.key"
    monkeypatch.setenv(MASTER_KEY_FILE_ENV, str(elsewhere))
    store = CredentialStore(tmp_path / "config", keyring=None)
    assert not store.key_beside_credentials()
    store.save_profile("acme", KEY)
    assert store.key_source == f"master key in {elsewhere}"
    assert elsewhere.exists() and stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    assert not (tmp_path / "config" / "master.key").exists()
    profile = CredentialStore(tmp_path / "config", keyring=None).get_profile("acme")
    assert profile is not None and profile.api_key.reveal() == KEY


def test_only_a_key_file_beside_the_credentials_counts_as_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CredentialStore(tmp_path, keyring=None).key_beside_credentials()  # one would be created
    assert not CredentialStore(tmp_path, keyring=MemoryKeyring()).key_beside_credentials()
    monkeypatch.setenv(MASTER_KEY_ENV, a_master_key())
    assert not CredentialStore(tmp_path, keyring=None).key_beside_credentials()
    (tmp_path / "master.key").write_text(a_master_key())
    assert CredentialStore(tmp_path, keyring=None).key_beside_credentials()  # the file wins over the variable


def test_a_secret_is_saved_encrypted_beside_the_profiles(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    assert store.get_secret("slack") is None and not (tmp_path / "master.key").exists()
    store.save_profile("acme", KEY)
    store.save_secret("slack", "xoxb-123")
    assert "xoxb-123" not in (tmp_path / "credentials.json").read_text()
    again = CredentialStore(tmp_path, keyring=None)
    secret = again.get_secret("slack")
    assert secret is not None and secret.reveal() == "xoxb-123"
    assert [p.name for p in again.list_profiles()] == ["acme"]
    data = json.loads((tmp_path / "credentials.json").read_text())
    data["secrets"]["slack"] = data["profiles"]["acme"]  # a profile's ciphertext is not a secret's
    (tmp_path / "credentials.json").write_text(json.dumps(data))
    with pytest.raises(CredentialStoreError, match=r"saved slack secret .* does not decrypt"):
        CredentialStore(tmp_path, keyring=None).get_secret("slack")
