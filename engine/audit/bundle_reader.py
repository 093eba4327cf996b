"""Reading a bundle folder safely: the one way `verify-proof` reads a bundle or a proof file.

A manifest names files by plain relative names (`proof.json`, `rulebooks/x-0123456789ab.rules`): no
`..`, no absolute path, no hidden name. Each is opened component by component relative to the bundle
folder with O_NOFOLLOW, so neither a symbolic link nor a name can lead outside it, and only a regular
file is read, up to a size cap, hashing as it reads. JSON is parsed with a nesting and size guard,
as UTF-8, refusing duplicate keys, NaN/Infinity and numbers no case file can hold. Every problem is
a WarrantError (codes B0xx) naming the bundle file and what to do; nothing outside the folder is
opened, and no content of an unreadable file is echoed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator

from ..diagnostics import WarrantError, error
from ..source import Span

MAX_FILE_BYTES = 128 * 2**20
MAX_MANIFEST_BYTES = 2**20
MAX_JSON_DEPTH = 64
MAX_FILES = 10_000
MAX_INT = 2**63  # SQLite's integers
REQUIRED = ("proof.json", "evidence.json", "run_facts.json")
SIGNATURE = "manifest.sig"  # the signature of manifest.json (signing.py), read here like any bundle file
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"
_NAME = re.compile(NAME_PATTERN)
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")
_CHUNK = 1 << 20

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Manifest(BaseModel):
    """manifest.json: every file's SHA-256 and, since rulebook order fixes the run's rules hash, their order."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    format: Literal["warrant-bundle/1"]
    files: dict[Name, Sha256]
    rulebooks: list[Name] | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Manifest":
        missing = [n for n in REQUIRED if n not in self.files]
        if missing:
            raise ValueError(f"files must list {', '.join(missing)}")
        if len(self.files) > MAX_FILES:
            raise ValueError(f"more than {MAX_FILES} files")
        if self.rulebooks is not None and sorted(self.rulebooks) != sorted(n for n in self.files if n.startswith("rulebooks/")):
            raise ValueError("rulebooks must list every rulebooks/ file of files, once each, in the order the run applied them")
        return self


@dataclass(frozen=True)
class Bundle:
    """A bundle as read: its manifest, each listed file's bytes and actual SHA-256, and what was missing."""

    folder: str
    manifest: Manifest
    data: dict[str, bytes]
    sha256: dict[str, str]
    missing: tuple[str, ...]
    unlisted: tuple[str, ...]
    manifest_bytes: bytes = b""
    signature: bytes | None = None

    def json(self, name: str):
        return parse_json(self.signature if name == SIGNATURE else self.data[name], self.where(name))

    def text(self, name: str) -> str:
        return decode(self.data[name], self.where(name))

    def where(self, name: str) -> str:
        return os.path.join(self.folder, name)


def bundle_error(code: str, where: str, message: str, hint: str, line: int = 1, column: int = 1) -> WarrantError:
    return WarrantError([error(code, message, Span(where, line, column, line, column + 1), hint)])


def shown(name) -> str:
    """A name from a manifest, safe to print: escaped and cut short."""
    text = repr(name)
    return text if len(text) <= 80 else text[:77] + "..."


def read_bundle(folder: str | Path, max_bytes: int = MAX_FILE_BYTES) -> Bundle:
    """Read and hash every file the manifest lists, inside `folder` only; B0xx errors for anything unsafe."""
    folder = str(folder)
    try:
        root = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise bundle_error("B006", folder, "not a bundle folder that can be read",
                           "give the folder `warrant export -o DIR` wrote") from None
    try:
        manifest, manifest_bytes = _manifest(root, folder)
        data, digests, missing = {}, {}, []
        for name in manifest.files:
            got = _read_member(root, folder, name, max_bytes)
            if got is None:
                missing.append(name)
            else:
                data[name], digests[name] = got
        signature = _read_member(root, folder, SIGNATURE, MAX_MANIFEST_BYTES)
        return Bundle(folder, manifest, data, digests, tuple(missing), _unlisted(root, manifest), manifest_bytes,
                      signature and signature[0])
    finally:
        os.close(root)


def _manifest(root: int, folder: str) -> tuple[Manifest, bytes]:
    where = os.path.join(folder, "manifest.json")
    got = _read_member(root, folder, "manifest.json", MAX_MANIFEST_BYTES)
    if got is None:
        raise bundle_error("B006", where, "the bundle has no manifest.json", "give the folder `warrant export -o DIR` wrote")
    try:
        return Manifest.model_validate(parse_json(got[0], where)), got[0]
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(shown(p) if not isinstance(p, int) else str(p) for p in first["loc"]) or "the manifest"
        why = first["msg"]
        if first["loc"][-1:] == ("[key]",) and first["loc"][:1] == ("files",):
            at, why = "files", (f"the name {shown(first['loc'][1])} is not a plain file name inside the bundle "
                                "(letters, digits, _ . -, at most one folder)")
        raise bundle_error("B005", where, f"not a warrant-bundle/1 manifest: {at}: {why}",
                           'a manifest is {"format": "warrant-bundle/1", "files": {"proof.json": "<sha256>", ...}} '
                           "with plain relative file names; export the bundle again") from None


def _read_member(root: int, folder: str, name: str, max_bytes: int) -> tuple[bytes, str] | None:
    """(bytes, sha256) of a regular file named inside the bundle, or None when it does not exist."""
    where = os.path.join(folder, name) if _NAME.match(name) else folder
    if not _NAME.match(name) or ".." in name.split("/"):
        raise bundle_error("B001", where, f"the manifest names {shown(name)}, which is not a plain file name inside the bundle",
                           "names are relative, like proof.json or rulebooks/x.rules: no '..', no absolute path")
    parts, fds = name.split("/"), []
    try:
        at = root
        for part in parts[:-1]:
            at = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=at)
            fds.append(at)
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=at)
        fds.append(fd)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(where)
        if info.st_size > max_bytes:
            raise _too_large(where, max_bytes)
        return _hashed(fd, where, max_bytes)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR):
            raise _not_regular(where) from None
        raise bundle_error("B006", where, f"cannot read this bundle file ({os.strerror(exc.errno or 0)})",
                           "check the bundle folder's permissions") from None
    finally:
        for fd in reversed(fds):
            os.close(fd)


def _hashed(fd: int, where: str, max_bytes: int) -> tuple[bytes, str]:
    h, chunks, size = hashlib.sha256(), [], 0
    while chunk := os.read(fd, _CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(where, max_bytes)
        h.update(chunk)
        chunks.append(chunk)
    return b"".join(chunks), h.hexdigest()


def _not_regular(where: str) -> WarrantError:
    return bundle_error("B002", where, "not a regular file of the bundle (a symbolic link, a folder or a device)",
                        "a bundle holds plain files only; export it again instead of linking files into it")


def _too_large(where: str, max_bytes: int) -> WarrantError:
    return bundle_error("B003", where, f"larger than {max_bytes // 2**20} MiB, the most a bundle file may hold",
                        "export the proof with smaller limits, or check the bundle came from `warrant export`")


def _unlisted(root: int, manifest: Manifest) -> tuple[str, ...]:
    """Files in the bundle folder (and rulebooks/) that the manifest does not list: the first 20."""
    found = []
    for sub in ("", "rulebooks"):
        try:
            fd = root if not sub else os.open(sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=root)
        except OSError:
            continue
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    name = f"{sub}/{entry.name}" if sub else entry.name
                    listed = name in manifest.files or name in ("manifest.json", SIGNATURE, "rulebooks")
                    if not listed and len(found) < 20:
                        found.append(name)
        finally:
            if sub:
                os.close(fd)
    return tuple(sorted(found))


def read_proof_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES):
    """A proof JSON file named by the user, read with the size cap and the JSON guard."""
    where = str(path)
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise bundle_error("B006", where, f"cannot read the proof file ({os.strerror(exc.errno or 0)})",
                           "give a proof written by `warrant why --format json` or a bundle folder") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _not_regular(where)
        return parse_json(_hashed(fd, where, max_bytes)[0], where)
    finally:
        os.close(fd)


def decode(data: bytes, where: str) -> str:
    """UTF-8 text, or B004 at the line and column of the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise bundle_error("B004", where, "not UTF-8 text", "a bundle's files are UTF-8; export the bundle again",
                           line, column) from None


def parse_json(data: bytes, where: str):
    """JSON from a bundle file: UTF-8, nested at most MAX_JSON_DEPTH deep, no duplicate keys, finite numbers
    and integers within 64 bits; anything else is B004 at its line and column."""
    text = decode(data, where)
    depth = deepest = 0
    for m in _BRACKETS.finditer(_STRINGS.sub('""', text)):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            raise _bad_json(where, f"nested more than {MAX_JSON_DEPTH} deep")
    try:
        return json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise _bad_json(where, exc.msg, exc.lineno, exc.colno) from None
    except (ValueError, RecursionError) as exc:
        raise _bad_json(where, str(exc)[:200]) from None


def _bad_json(where: str, why: str, line: int = 1, column: int = 1) -> WarrantError:
    return bundle_error("B004", where, f"not valid JSON for a bundle: {why}",
                        "the bundle file was damaged or not made by `warrant export`; export it again", line, column)


def _unique(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"the key {shown(key)} appears twice in one object")
    return out


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _int(text: str) -> int:
    if len(text) > 20 or abs(value := int(text)) >= MAX_INT:
        raise ValueError(f"the integer {text[:20]}{'...' if len(text) > 20 else ''} is larger than a case file holds")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value
