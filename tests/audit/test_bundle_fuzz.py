"""Fuzz test: any manifest and any bundle file bytes give a verdict (exit 0 or 1) or a located B0xx error
(exit 2), never a traceback, and nothing outside the bundle folder is opened. Bounded for CI; set
WARRANT_FUZZ_EXAMPLES (and HYPOTHESIS_PROFILE=explore for new examples) for a larger run."""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.cli import main

from bundle_case import make_case

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "40"))
SECRET = "CANARY-SECRET outside the bundle"
HOSTILE_NAMES = ["../canary.rules", "rulebooks/../../canary.rules", "/etc/hostname", "link.rules", "rulebooks/link.rules",
                 "linkdir/proof.json", "rulebooks", "fifo", "proof.json/x", "./proof.json", "rulebooks//x", "\x00",
                 "proof.json", "evidence.json", "run_facts.json", "proof.svg"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A clean bundle, a canary file beside it (outside), and a template folder with hostile links."""
    root = tmp_path_factory.mktemp("fuzz")
    make_case(root)
    (root / "canary.rules").write_text(SECRET + "\n")
    template = root / "template"
    shutil.copytree(root / "bundle", template)
    (template / "link.rules").symlink_to(root / "canary.rules")
    (template / "rulebooks" / "link.rules").symlink_to(root / "canary.rules")
    (template / "linkdir").symlink_to(root)
    return root


def hostile_copy(world: Path, tmp_path_factory) -> Path:
    bundle = Path(tmp_path_factory.mktemp("b")) / "bundle"
    shutil.copytree(world / "template", bundle, symlinks=True)
    os.mkfifo(bundle / "fifo")  # opening it for reading would wait forever
    return bundle


class OpenSpy:
    """Records the real path of every file opened through builtins.open, io.open and os.open (Path.open and
    read_bytes go through io.open), read back from the open descriptor itself."""

    def __init__(self, monkeypatch):
        self.paths: list[str] = []
        real_os_open, real_open = os.open, builtins.open

        def os_open(path, flags, mode=0o777, *, dir_fd=None):
            fd = real_os_open(path, flags, mode, dir_fd=dir_fd)
            self.note(fd)
            return fd

        def py_open(file, *args, **kwargs):
            f = real_open(file, *args, **kwargs)
            self.note(f.fileno())
            return f

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(builtins, "open", py_open)
        monkeypatch.setattr(io, "open", py_open)

    def note(self, fd: int) -> None:
        self.paths.append(os.readlink(f"/proc/self/fd/{fd}"))


def seal(bundle: Path) -> dict:
    manifest = json.loads((bundle / "manifest.json").read_text())
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    return manifest


names = st.one_of(st.sampled_from(HOSTILE_NAMES), st.text(max_size=12))
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=8)
manifests = st.one_of(
    json_values,
    st.fixed_dictionaries({"format": st.sampled_from(["warrant-bundle/1", "warrant-bundle/2", 1]),
                           "files": st.dictionaries(names, st.one_of(st.text(max_size=64), st.just("0" * 64)), max_size=4)},
                          optional={"rulebooks": st.lists(names, max_size=2), "extra": json_values}),
)
mutations = st.one_of(st.binary(max_size=64), st.sampled_from([b"[" * 5000, b'{"a": ' + b"9" * 5000 + b"}", b"\xff\xfe",
                                                              b"[]", b"null", b"{}", b'{"nodes": {}}']))


def verify(world, bundle: Path, spy: OpenSpy) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify-proof", str(bundle)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert "error:" in result.output and "[B00" in result.output and "hint:" in result.output, result.output
    assert SECRET not in result.output and "Traceback" not in result.output
    outside = [p for p in spy.paths if p.startswith(str(world.resolve())) and not p.startswith(str(bundle.resolve()))]
    assert not outside, outside
    return result.exit_code, result.output


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(manifest=manifests)
def test_any_manifest_is_a_verdict_or_a_located_error(world, tmp_path_factory, monkeypatch, manifest):
    bundle = hostile_copy(world, tmp_path_factory)
    (bundle / "manifest.json").write_text(json.dumps(manifest, allow_nan=True))
    with monkeypatch.context() as m:
        verify(world, bundle, OpenSpy(m))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(["proof.json", "evidence.json", "run_facts.json", "manifest.json"]), data=mutations,
       extra=st.lists(st.sampled_from(HOSTILE_NAMES), max_size=2))
def test_any_bundle_file_is_a_verdict_or_a_located_error(world, tmp_path_factory, monkeypatch, target, data, extra):
    bundle = hostile_copy(world, tmp_path_factory)
    if target != "manifest.json":
        (bundle / target).write_bytes(data)
    manifest = seal(bundle)
    manifest["files"].update({name: "0" * 64 for name in extra})
    manifest.pop("rulebooks") if extra else None
    (bundle / "manifest.json").write_bytes(data if target == "manifest.json" else json.dumps(manifest).encode())
    with monkeypatch.context() as m:
        verify(world, bundle, OpenSpy(m))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(st.one_of(st.text(max_size=6), st.integers(0, 5)), min_size=1, max_size=4), value=json_values)
def test_any_edit_of_the_proof_is_a_verdict(world, tmp_path_factory, monkeypatch, path, value):
    """A re-sealed proof with one value replaced anywhere: valid only if the value was unchanged (or a B004
    error for a number no case file holds)."""
    bundle = Path(tmp_path_factory.mktemp("b")) / "bundle"
    shutil.copytree(world / "bundle", bundle)
    proof = json.loads((bundle / "proof.json").read_text())
    at = proof
    for key in path[:-1]:
        nxt = _step(at, key)
        if nxt is None:
            break
        at = nxt
    changed = _set(at, path[-1], value)
    (bundle / "proof.json").write_text(json.dumps(proof))
    (bundle / "manifest.json").write_text(json.dumps(seal(bundle)))
    with monkeypatch.context() as m:
        code, out = verify(world, bundle, OpenSpy(m))
    assert code == 1 or (code == 0 and not changed) or (code == 2 and "[B004]" in out), out  # B004: NaN, 2**63


def _step(at, key):
    if isinstance(at, dict) and at:
        return at[sorted(at)[key % len(at)]] if isinstance(key, int) else at.get(key)
    if isinstance(at, list) and at and isinstance(key, int):
        return at[key % len(at)]
    return None


def _set(at, key, value) -> bool:
    """Set one field (an existing one when `key` is a number); True when the proof changed."""
    if isinstance(at, dict):
        k = sorted(at)[key % len(at)] if isinstance(key, int) and at else key
        before = at.get(k, ...)
        at[k] = value
        return before is ... or _canonical(before) != _canonical(value)
    if isinstance(at, list) and at and isinstance(key, int):
        before = at[key % len(at)]
        at[key % len(at)] = value
        return _canonical(before) != _canonical(value)
    return False


def _canonical(v) -> str:
    """The value as the checker compares it: integral numbers are integers."""
    def norm(x):
        if isinstance(x, float) and x.is_integer():
            return int(x)
        if isinstance(x, list):
            return [norm(y) for y in x]
        return {k: norm(y) for k, y in x.items()} if isinstance(x, dict) else x
    return json.dumps(norm(v), sort_keys=True)
