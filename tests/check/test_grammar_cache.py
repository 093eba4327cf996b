"""The analysed grammar is cached by lark in the user's cache folder, and the parser works without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARSE = ("from engine.syntax.grammar import parser, _cache_file; "
         "p = parser(); print(_cache_file('start')); "
         "print(p.parse('rulebook r \"t\" version \"1\"\\n').data)")


def _parse_in_fresh_process(cache_home: str) -> list[str]:
    env = dict(os.environ, XDG_CACHE_HOME=cache_home)
    done = subprocess.run([sys.executable, "-c", PARSE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_cache_file_is_made_in_a_private_folder_and_reused(tmp_path):
    first = _parse_in_fresh_process(str(tmp_path))
    cache = Path(first[0])
    assert cache.parent == tmp_path / "warrant" and cache.is_file() and first[1] == "start"
    assert (cache.parent.stat().st_mode & 0o777) == 0o700
    made = cache.stat().st_mtime_ns
    assert _parse_in_fresh_process(str(tmp_path)) == first
    assert cache.stat().st_mtime_ns == made  # read, not rewritten


def test_without_a_usable_cache_folder_the_grammar_is_analysed_each_time(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    out = _parse_in_fresh_process(str(blocker))
    assert out == ["False", "start"]


def test_a_damaged_cache_file_is_replaced(tmp_path):
    cache = Path(_parse_in_fresh_process(str(tmp_path))[0])
    cache.write_bytes(b"not a pickle")
    assert _parse_in_fresh_process(str(tmp_path))[1] == "start"
    assert cache.read_bytes() != b"not a pickle"
