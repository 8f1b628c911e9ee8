"""The encrypted credential store: API keys saved per profile, encrypted with AES-GCM.

The master key that encrypts them comes from, in order:

1. the OS keyring, where one is available (created there on first use);
2. else the key file named by ``INCIDENTKIT_MASTER_KEY_FILE`` (created there on first use), to keep
   the key on other storage than the credentials (a mounted secret, another disk);
3. else the key file ``master.key`` in the config directory, readable only by its owner;
4. else ``INCIDENTKIT_MASTER_KEY`` (32 bytes, base64), for CI and containers that keep no files;
5. else a new ``master.key`` is created beside ``credentials.json``, readable only by its owner.

A key file beside ``credentials.json`` protects the API keys from other users of the machine,
not from whoever gets a copy of the directory (a backup, a synced or copied home directory):
both files together decrypt everything. :meth:`CredentialStore.key_beside_credentials` tells
``setup`` and ``verify`` to say so.

The first source that is available is the only one used: if it fails (a key file others can
read, a locked keyring, a key that is not 32 bytes), the store reports it as
:class:`CredentialStoreError` with what to do, rather than silently trying the next one. A
ciphertext that does not decrypt is refused the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from incidentkit.errors import IncidentKitError
from incidentkit.paths import config_dir
from incidentkit.wire import secret_fingerprint

MASTER_KEY_ENV = "INCIDENTKIT_MASTER_KEY"
MASTER_KEY_FILE_ENV = "INCIDENTKIT_MASTER_KEY_FILE"
KEYRING_SERVICE = "incidentkit"
KEYRING_USER = "master-key"
FILE_VERSION = 1
# Secrets are encrypted with this prefix on their name as associated data, so a profile's
# ciphertext cannot pass for a secret of the same name, nor the other way round.
SECRET_PREFIX = "secret:"
SLACK_SECRET = "slack"


class CredentialStoreError(IncidentKitError):
    """The credential store cannot be used; the message says why and what to do."""


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


def fingerprint(api_key: str) -> str:
    """A short, one-way identifier of a key, safe to print (the package's one fingerprint)."""
    return secret_fingerprint(api_key)


@dataclass(frozen=True)
class Profile:
    name: str
    api_key: Secret
    base_url: str | None


@dataclass(frozen=True)
class ProfileSummary:
    """What may be shown about a profile: never its key."""

    name: str
    base_url: str | None
    is_default: bool
    fingerprint: str


class KeyringLike(Protocol):
    """The part of the ``keyring`` module the store uses."""

    def get_password(self, service_name: str, username: str) -> str | None: ...

    def set_password(self, service_name: str, username: str, password: str) -> None: ...


def system_keyring() -> KeyringLike | None:
    """The OS keyring, or ``None`` where there is none (a headless server, a container)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return backend


def _decode_master_key(text: str, where: str) -> bytes:
    try:
        compact = text.strip().replace("+", "-").replace("/", "_")  # standard or URL-safe alphabet
        key = base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
    except (binascii.Error, ValueError):
        raise CredentialStoreError(f"{where} is not base64") from None
    if len(key) != 32:
        raise CredentialStoreError(
            f"{where} must hold 32 bytes of base64 (it holds {len(key)}); "
            "make one with: openssl rand -base64 32"
        )
    return key


@contextmanager
def _file_errors(path: Path) -> Iterator[None]:
    """Report a file that cannot be read or written (a directory in its place, no permission)."""
    try:
        yield
    except OSError as error:
        raise CredentialStoreError(
            f"cannot use {path}: {error.strerror or error}; check that it is a file you own"
        ) from None


def _check_private(path: Path) -> None:
    """Refuse a file that other users can reach or that belongs to someone else."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise CredentialStoreError(f"{path} is not a regular file; move it away and try again")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialStoreError(
            f"{path} can be read by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run `chmod 600 {path}` and try again"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CredentialStoreError(f"{path} belongs to another user; it must be yours alone")


KEY_BESIDE_WARNING = (
    "Note: there is no OS keyring here, so the master key that encrypts the API keys is the file "
    "{key_file}, beside {credentials}. It keeps the keys from other users of this machine, but "
    "anyone with a copy of both files (a backup, a copied home directory) can decrypt them. To keep "
    "the key apart: set " + MASTER_KEY_FILE_ENV + "=/path/on/other/storage (a mounted secret, another "
    "disk), or " + MASTER_KEY_ENV + " (32 bytes of base64, from a secret manager; then remove "
    "{key_file}), or install a keyring backend."
)


class CredentialStore:
    """Profiles (name, encrypted API key, base URL) in ``credentials.json`` under :func:`config_dir`.

    Args:
        directory: where the files live; :func:`config_dir` by default.
        keyring: the keyring to keep the master key in; by default the OS keyring when one exists.
            Pass ``None`` to use the key file.
    """

    def __init__(self, directory: Path | None = None, keyring: KeyringLike | str | None = "system") -> None:
        self.directory = directory or config_dir()
        self._keyring = system_keyring() if keyring == "system" else keyring
        self._master: bytes | None = None
        self.key_source = ""

    @property
    def path(self) -> Path:
        return self.directory / "credentials.json"

    @property
    def key_file(self) -> Path:
        """The master key file: ``INCIDENTKIT_MASTER_KEY_FILE``, else ``master.key`` by the credentials."""
        elsewhere = os.environ.get(MASTER_KEY_FILE_ENV, "").strip()
        return Path(elsewhere).expanduser() if elsewhere else self.directory / "master.key"

    def key_beside_credentials(self) -> bool:
        """Whether the master key is (or would be) a file in the same directory as ``credentials.json``.

        Decided without creating anything: no keyring, no ``INCIDENTKIT_MASTER_KEY_FILE``, and
        either ``master.key`` exists or ``INCIDENTKIT_MASTER_KEY`` is not set.
        """
        if self._keyring is not None and not isinstance(self._keyring, str):
            return False
        if self.key_file.parent.resolve() != self.directory.resolve():
            return False
        return self.key_file.exists() or not os.environ.get(MASTER_KEY_ENV, "").strip()

    # The master key.

    def _master_key(self) -> bytes:
        if self._master is None:
            self._master, self.key_source = self._load_master_key()
        return self._master

    def _load_master_key(self) -> tuple[bytes, str]:
        if self._keyring is not None and not isinstance(self._keyring, str):
            return self._key_from_keyring(self._keyring), "master key in the OS keyring"
        if self.key_file.exists() or os.environ.get(MASTER_KEY_FILE_ENV, "").strip():
            return self._key_from_file(), f"master key in {self.key_file}"
        from_env = os.environ.get(MASTER_KEY_ENV, "").strip()
        if from_env:
            return _decode_master_key(from_env, MASTER_KEY_ENV), f"master key from {MASTER_KEY_ENV}"
        return self._key_from_file(), f"master key in {self.key_file}"

    def _key_from_keyring(self, keyring: KeyringLike) -> bytes:
        try:
            stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
            if stored is None:
                stored = base64.urlsafe_b64encode(os.urandom(32)).decode()
                keyring.set_password(KEYRING_SERVICE, KEYRING_USER, stored)
        except Exception as error:  # keyring backends raise their own error types
            # A locked or broken keyring is reported, not skipped: the key may only be there.
            raise CredentialStoreError(
                f"the OS keyring did not give the master key ({type(error).__name__}); unlock it and "
                "try again, or set PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring to use a key file"
            ) from None
        return _decode_master_key(stored, "the master key in the OS keyring")

    def _key_from_file(self) -> bytes:
        path = self.key_file
        with _file_errors(path):
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as file:
                    file.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
            _check_private(path)
            text = path.read_text()
        return _decode_master_key(text, str(path))

    # Encryption.

    def _encrypt(self, name: str, api_key: str) -> dict[str, str]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        # The profile name is authenticated too, so a ciphertext moved to another profile fails.
        ciphertext = AESGCM(self._master_key()).encrypt(nonce, api_key.encode(), name.encode())
        return {
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }

    def _decrypt(self, name: str, record: dict[str, Any]) -> str:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            nonce = base64.b64decode(record["nonce"], validate=True)
            ciphertext = base64.b64decode(record["ciphertext"], validate=True)
            return AESGCM(self._master_key()).decrypt(nonce, ciphertext, name.encode()).decode()
        except (InvalidTag, KeyError, TypeError, ValueError, binascii.Error):
            raise CredentialStoreError(
                f"the key of profile '{name}' in {self.path} does not decrypt with the {self.key_source}: "
                "the file was changed, or the master key is not the one it was saved with. "
                f"Run `incidentkit setup --profile {name}` to save the key again"
            ) from None

    # The file.

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"version": FILE_VERSION, "default": None, "profiles": {}}
        with _file_errors(self.path):
            _check_private(self.path)
            text = self.path.read_text()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CredentialStoreError(
                f"{self.path} is not valid JSON (line {error.lineno}): {error.msg}"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
            raise CredentialStoreError(f"{self.path} is not an incidentkit credentials file")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        with _file_errors(self.path):
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(data, file, indent=2)
            os.replace(temporary, self.path)

    # Profiles.

    def save_profile(
        self, name: str, api_key: str, *, base_url: str | None = None, make_default: bool = False
    ) -> None:
        """Encrypt and save ``api_key`` as profile ``name``, replacing any earlier one."""
        if not name.strip():
            raise CredentialStoreError("a profile needs a name")
        data = self._read()
        data["profiles"][name] = {"base_url": base_url, **self._encrypt(name, api_key)}
        if make_default or not data.get("default"):
            data["default"] = name
        self._write(data)

    def get_profile(self, name: str | None = None) -> Profile | None:
        """The profile ``name``, or the default one; ``None`` when there is no default.

        Raises:
            CredentialStoreError: ``name`` is not a saved profile, or it does not decrypt.
        """
        data = self._read()
        wanted = name or data.get("default")
        if wanted is None:
            return None
        record = data["profiles"].get(wanted)
        if record is None:
            if name is None:
                return None
            raise CredentialStoreError(self._unknown(name, data))
        return Profile(wanted, Secret(self._decrypt(wanted, record)), record.get("base_url"))

    def list_profiles(self) -> list[ProfileSummary]:
        """Every profile, without its key.

        Raises:
            CredentialStoreError: the master key cannot be had (a profile that does not decrypt
                is listed with that said instead of its fingerprint).
        """
        data = self._read()
        if data["profiles"]:
            self._master_key()  # a problem with the master key is the caller's to see, not a fingerprint
        return [
            ProfileSummary(
                name, record.get("base_url"), name == data.get("default"), self._fingerprint(name, record)
            )
            for name, record in sorted(data["profiles"].items())
        ]

    def _fingerprint(self, name: str, record: dict[str, Any]) -> str:
        try:
            return fingerprint(self._decrypt(name, record))
        except CredentialStoreError:
            return "(does not decrypt)"

    def use(self, name: str) -> None:
        """Make ``name`` the default profile."""
        data = self._read()
        if name not in data["profiles"]:
            raise CredentialStoreError(self._unknown(name, data))
        data["default"] = name
        self._write(data)

    def remove(self, name: str) -> None:
        """Forget profile ``name``."""
        data = self._read()
        if name not in data["profiles"]:
            raise CredentialStoreError(self._unknown(name, data))
        del data["profiles"][name]
        if data.get("default") == name:
            data["default"] = next(iter(sorted(data["profiles"])), None)
        self._write(data)

    # Other secrets (the Slack bot token), under their own names and the same master key.

    def save_secret(self, name: str, value: str) -> None:
        """Encrypt and save ``value`` as the secret ``name`` (such as ``slack``), replacing an earlier one."""
        data = self._read()
        data.setdefault("secrets", {})[name] = self._encrypt(SECRET_PREFIX + name, value)
        self._write(data)

    def get_secret(self, name: str) -> Secret | None:
        """The secret ``name``, or None when none is saved (the master key is then not touched).

        Raises:
            CredentialStoreError: it is saved but does not decrypt.
        """
        record = self._read().get("secrets", {}).get(name)
        if record is None:
            return None
        try:
            return Secret(self._decrypt(SECRET_PREFIX + name, record))
        except CredentialStoreError:
            raise CredentialStoreError(
                f"the saved {name} secret in {self.path} does not decrypt with the {self.key_source}; "
                f"save it again (`incidentkit setup {name}`)"
            ) from None

    def names(self) -> Iterator[str]:
        yield from sorted(self._read()["profiles"])

    @staticmethod
    def _unknown(name: str, data: dict[str, Any]) -> str:
        known = ", ".join(sorted(data["profiles"])) or "none yet (run `incidentkit setup`)"
        return f"no profile named '{name}'; saved profiles: {known}"
