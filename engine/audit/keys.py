"""Agency keys and the trust store: who signs a bundle or a checkpoint, and whose signatures a reader accepts.

An agency's key folder holds `signing-key.pem` (its Ed25519 private key, PKCS#8, mode 0600) and
`public.json`, the key's trust-store entry: {"format": "warrant-key/1", "agency", "algorithm": "ed25519",
"public_key": base64 of the 32 raw bytes, "fingerprint": "sha256:" + hex of their SHA-256}. A trust
store is a folder of such entries (*.json) or one JSON file holding an entry or a list of them. Ed25519
comes from the `cryptography` library; nothing here is hand-written crypto. Problems are WarrantErrors
with codes K0xx naming the file and what to run.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ..diagnostics import WarrantError, error
from ..source import Span

PRIVATE, PUBLIC = "signing-key.pem", "public.json"
AGENCY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MAX_TRUST_BYTES = 2**20


def key_error(code: str, where: str | Path, message: str, hint: str) -> WarrantError:
    """A K0xx error located at a key folder, key file or trust store."""
    return WarrantError([error(code, message, Span(str(where), 1, 1, 1, 2), hint)])


def fingerprint(raw_public: bytes) -> str:
    """"sha256:" and the hex SHA-256 of a public key's 32 raw bytes."""
    return "sha256:" + hashlib.sha256(raw_public).hexdigest()


def short(fp: str) -> str:
    """A fingerprint cut to 16 hex digits, for messages."""
    return fp[:23]


class KeyEntry(BaseModel):
    """One agency's public key, as `warrant keys export` prints it and a trust store holds it."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    format: Literal["warrant-key/1"] = "warrant-key/1"
    agency: str
    algorithm: Literal["ed25519"] = "ed25519"
    public_key: str
    fingerprint: str

    @field_validator("agency")
    @classmethod
    def _agency(cls, value: str) -> str:
        if not re.match(AGENCY_PATTERN, value):
            raise ValueError("an agency name is letters, digits, '.', '_' and '-', at most 64")
        return value

    @field_validator("public_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if len(raw_key(value) or b"") != 32:
            raise ValueError("not the base64 of a 32-byte Ed25519 public key")
        return value

    @model_validator(mode="after")
    def _fingerprint(self) -> "KeyEntry":
        if fingerprint(raw_key(self.public_key)) != self.fingerprint:
            raise ValueError("the fingerprint is not the SHA-256 of the public key")
        return self

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(raw_key(self.public_key)).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), indent=2, sort_keys=True) + "\n"


def raw_key(text: str) -> bytes | None:
    """The bytes of strict base64 text, or None."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def entry_for(agency: str, public: Ed25519PublicKey) -> KeyEntry:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KeyEntry(agency=agency, public_key=base64.b64encode(raw).decode("ascii"), fingerprint=fingerprint(raw))


@dataclass(frozen=True)
class AgencyKey:
    """An agency's private key, with its public entry."""

    entry: KeyEntry
    private: Ed25519PrivateKey

    @property
    def agency(self) -> str:
        return self.entry.agency

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def key_folder(given: str | Path | None = None) -> Path:
    """The key folder: `given`, else $WARRANT_KEYS, else warrant/keys in the user's config folder."""
    if given:
        return Path(given)
    if os.environ.get("WARRANT_KEYS"):
        return Path(os.environ["WARRANT_KEYS"])
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "warrant" / "keys"


def init_keys(agency: str, folder: str | Path | None = None) -> AgencyKey:
    """Make a new key pair for `agency` in the key folder; an existing key is never overwritten (K001)."""
    if not re.match(AGENCY_PATTERN, agency):
        raise key_error("K004", "--agency", f"{agency[:80]!r} is not an agency name",
                        "an agency name is letters, digits, '.', '_' and '-', at most 64, e.g. UK-OFSI")
    folder = key_folder(folder)
    for name in (PRIVATE, PUBLIC):
        if os.path.lexists(folder / name):
            raise key_error("K001", folder / name, "an agency key already exists here; it is not overwritten",
                            "partners trust the key they were given: keep it, or give another folder with --keys DIR")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    entry = entry_for(agency, private.public_key())
    _write_new(folder / PRIVATE, pem, 0o600)
    _write_new(folder / PUBLIC, entry.to_json().encode("utf-8"), 0o644)
    return AgencyKey(entry, private)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except FileExistsError:
        raise key_error("K001", path, "an agency key already exists here; it is not overwritten",
                        "give another folder with --keys DIR") from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def load_key(folder: str | Path | None = None) -> AgencyKey:
    """The agency key of the key folder; K002 when there is none, K003 when it is damaged."""
    folder = key_folder(folder)
    if not (folder / PRIVATE).is_file() or not (folder / PUBLIC).is_file():
        raise key_error("K002", folder, "no agency key in this folder",
                        f"make one with: warrant keys init --agency NAME --keys {folder} "
                        "(or set WARRANT_KEYS to the folder that holds your agency's key)")
    try:
        private = serialization.load_pem_private_key((folder / PRIVATE).read_bytes(), password=None)
        entry = KeyEntry.model_validate_json((folder / PUBLIC).read_bytes())
    except (OSError, ValueError, TypeError, ValidationError) as exc:
        raise key_error("K003", folder, f"the agency key cannot be read: {str(exc).splitlines()[0][:160]}",
                        f"{PRIVATE} must be the Ed25519 key `warrant keys init` wrote, {PUBLIC} its entry") from None
    if not isinstance(private, Ed25519PrivateKey) or entry_for(entry.agency, private.public_key()) != entry:
        raise key_error("K003", folder / PUBLIC, f"{PUBLIC} is not the public key of {PRIVATE}",
                        "the folder's two files belong to different keys: restore them from your backup")
    return AgencyKey(entry, private)


@dataclass(frozen=True)
class TrustStore:
    """The public keys a reader trusts, by agency, and where they were read from."""

    path: str
    keys: dict[str, tuple[KeyEntry, ...]]

    def known(self, agency: str) -> tuple[KeyEntry, ...]:
        return self.keys.get(agency, ())


def load_trust(path: str | Path) -> TrustStore:
    """A trust store: a folder of exported entries (*.json), or one JSON file with an entry or a list."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
    elif path.is_file():
        files = [path]
    else:
        raise key_error("K005", path, "no trust store here",
                        "give a folder of partners' exported keys or one JSON file (`warrant keys export` prints an entry)")
    keys: dict[str, list[KeyEntry]] = {}
    for file in files:
        for entry in _entries(file):
            if entry not in keys.setdefault(entry.agency, []):
                keys[entry.agency].append(entry)
    return TrustStore(str(path), {agency: tuple(found) for agency, found in sorted(keys.items())})


def _entries(file: Path) -> list[KeyEntry]:
    try:
        if file.stat().st_size > MAX_TRUST_BYTES:
            raise ValueError("larger than 1 MiB")
        data = json.loads(file.read_bytes())
        return [KeyEntry.model_validate(item) for item in (data if isinstance(data, list) else [data])]
    except (OSError, ValueError, ValidationError) as exc:
        why = str(exc).splitlines()[0][:160] if not isinstance(exc, ValidationError) else _first(exc)
        raise key_error("K005", file, f"not a trust-store entry: {why}",
                        'each entry is what `warrant keys export` prints: {"format": "warrant-key/1", "agency": ..., '
                        '"algorithm": "ed25519", "public_key": ..., "fingerprint": ...}') from None


def _first(exc: ValidationError) -> str:
    first = exc.errors()[0]
    at = ".".join(str(p) for p in first["loc"])
    return f"{at}: {first['msg']}" if at else first["msg"]
