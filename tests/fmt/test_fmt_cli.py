"""`warrant fmt FILE... [--check] [--diff]`: rewrites in place, or reports; a file that does not parse is
refused with its located diagnostic (exit 2) and never modified."""

from __future__ import annotations

from click.testing import CliRunner

from engine.cli import main
from engine.syntax import format as fmt

MESSY = 'rulebook r "R" version "1"\nevidence p(x: text)\nrule A "a" cites "c": p(X) if p(X). because "b".\n'
TIDY = 'rulebook r "R" version "1"\n\nevidence p(x: text)\n\nrule A "a" cites "c":\n  p(X) if p(X).\n  because "b".\n'
BROKEN = 'rulebook r "R" version "1"\nrule A "a" cites "c": p(X) if p(X) because "b".\n'


def warrant(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _files(tmp_path, **texts):
    for name, text in texts.items():
        (tmp_path / f"{name}.rules").write_text(text, encoding="utf-8")
    return {name: tmp_path / f"{name}.rules" for name in texts}


def test_rewrites_in_place_and_then_has_nothing_to_do(tmp_path):
    files = _files(tmp_path, messy=MESSY, tidy=TIDY)
    code, out, err = warrant("fmt", str(tmp_path))
    assert code == 0, err
    assert files["messy"].read_text() == TIDY and files["tidy"].read_text() == TIDY
    assert f"reformatted {files['messy']}" in err and "1 file(s) reformatted" in err and "tidy" not in err
    assert warrant("fmt", str(files["messy"]))[0] == 0


def test_check_exits_1_listing_the_files_and_writes_nothing(tmp_path):
    files = _files(tmp_path, messy=MESSY, tidy=TIDY)
    code, out, err = warrant("fmt", "--check", str(files["messy"]), str(files["tidy"]))
    assert code == 1
    assert f"would reformat {files['messy']}" in err and str(files["tidy"]) not in err
    assert files["messy"].read_text() == MESSY
    assert warrant("fmt", "--check", str(files["tidy"]))[0] == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    files = _files(tmp_path, messy=MESSY)
    code, out, err = warrant("fmt", "--diff", str(files["messy"]))
    assert code == 0, err
    assert out.startswith(f"--- {files['messy']}\n+++ {files['messy']} (formatted)\n@@")
    assert '-rule A "a" cites "c": p(X) if p(X). because "b".\n+\n+rule A "a" cites "c":\n+  p(X) if p(X).\n' in out
    assert files["messy"].read_text() == MESSY
    assert warrant("fmt", "--diff", "--check", str(files["messy"]))[0] == 1


def test_a_file_with_syntax_errors_is_refused_and_left_alone(tmp_path):
    files = _files(tmp_path, broken=BROKEN, messy=MESSY)
    code, out, err = warrant("fmt", str(files["broken"]), str(files["messy"]))
    assert code == 2
    assert f"{files['broken']}:2:36: error: " in err and "^" in err
    assert "Traceback" not in err
    assert files["broken"].read_text() == BROKEN
    assert files["messy"].read_text() == TIDY  # the other file is still formatted


def test_a_missing_or_unreadable_file_is_exit_2(tmp_path):
    (tmp_path / "latin1.rules").write_bytes(b'rulebook r "\xe9" version "1"\n')
    for name, reason in (("missing.rules", "no such file"), ("latin1.rules", "it is not UTF-8 text")):
        code, _, err = warrant("fmt", str(tmp_path / name))
        assert code == 2 and f"cannot read rulebook {tmp_path / name}: {reason} [E010]" in err


def test_an_internal_error_leaves_the_file_unchanged(tmp_path, monkeypatch):
    files = _files(tmp_path, messy=MESSY)
    monkeypatch.setattr(fmt, "weave", lambda source, blocks, comments: "rulebook other \"R\" version \"1\"\n")
    code, _, err = warrant("fmt", str(files["messy"]))
    assert code == 2
    assert "internal error: the formatted text would not mean the same; the file is left unchanged" in err
    assert "Traceback" not in err and files["messy"].read_text() == MESSY


def test_writing_keeps_the_files_permissions(tmp_path):
    files = _files(tmp_path, messy=MESSY)
    files["messy"].chmod(0o640)
    assert warrant("fmt", str(files["messy"]))[0] == 0
    assert files["messy"].stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["messy.rules"]  # no temporary file left behind
