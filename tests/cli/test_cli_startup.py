"""`warrant --version` and `--help` answer without loading the engine (how long a user waits is measured in
benchmarks/, not here): the command line imports what a command needs when the command runs."""

import subprocess
import sys

import pytest

from engine.store.backend import POSTGRES, dialect
from engine.store.schema import open_store

PROBE = """
import sys
from engine.cli import main
try:
    main([{args}], prog_name="warrant", standalone_mode=False)
finally:
    loaded = sorted(m for m in sys.modules if m.startswith("engine."))
    print("LOADED", ",".join(loaded), file=sys.stderr)
"""


@pytest.mark.parametrize("args", ['"--version"', '"--help"', '"run", "--help"'])
def test_version_and_help_load_none_of_the_engine(args):
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True)
    loaded = out.stderr.split("LOADED ", 1)[1].strip().split(",")
    assert set(loaded) <= {"engine.cli", "engine.defaults", "engine.lazy", "engine.cli_access"}, loaded
    assert "warrant" in out.stdout


def test_a_command_loads_the_engine_when_it_runs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "engine.cli", "runs", "--db", str(tmp_path / "none.db")],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "no such case file" in out.stderr


WHY_PROBE = """
import sys
started = set(sys.modules)
from engine.cli import main
try:
    main(["why", "--db", "case.db", 'blocked("A")'], prog_name="warrant", standalone_mode=False)
finally:
    print("LOADED", ",".join(sorted(set(sys.modules) - started)), file=sys.stderr)
"""


def test_why_on_a_stored_run_loads_neither_the_parser_nor_the_loader_nor_the_renderers(case):
    from click.testing import CliRunner

    from engine.cli import main

    assert CliRunner().invoke(main, ["run", "mini.rules", "--facts", "facts"]).exit_code == 0
    for _ in range(2):  # the first reading of the run may parse its rulebooks; the second reads them back
        out = subprocess.run([sys.executable, "-c", WHY_PROBE], capture_output=True, text=True, check=True)
    loaded = set(out.stderr.split("LOADED ", 1)[1].strip().split(","))
    assert 'blocked("A") [1] holds' in out.stdout
    unwanted = {"lark", "sqlite_utils", "graphviz", "rich", "cryptography", "engine.store.loading",
                "engine.syntax.parser", "engine.audit.bundle", "engine.proof.render_dot", "engine.eval.run",
                "engine.proof.whynot_search", "engine.store.manifest", "psycopg", "engine.store.backend_pg"}
    unwanted -= _driver_modules("case.db")
    assert not loaded & unwanted, loaded & unwanted


RUN_PROBE = """
import sys
started = set(sys.modules)
from engine.cli import main
try:
    main(["run", "mini.rules", "--facts", "facts", "--db", "{db}"], prog_name="warrant", standalone_mode=False)
finally:
    print("LOADED", ",".join(sorted(set(sys.modules) - started)), file=sys.stderr)
"""


def test_run_of_a_checked_rulebook_on_plain_files_loads_neither_the_parser_nor_the_checker_nor_pydantic(case):
    from click.testing import CliRunner

    from engine.cli import main

    assert CliRunner().invoke(main, ["run", "mini.rules", "--facts", "facts"]).exit_code == 0  # checked and kept
    out = subprocess.run([sys.executable, "-c", RUN_PROBE.format(db="fresh.db")], capture_output=True, text=True,
                         check=True)
    loaded = set(out.stderr.split("LOADED ", 1)[1].strip().split(","))
    assert "blocked: " in out.stdout
    unwanted = {"lark", "sqlite_utils", "pydantic", "rich", "graphviz", "engine.syntax.parser", "engine.proof.model",
                "engine.check.checker", "engine.check.types", "multiprocessing", "tempfile"}
    unwanted -= _driver_modules("fresh.db")
    assert not loaded & unwanted, loaded & unwanted


def _driver_modules(case) -> set[str]:
    """What reading `case` may load for its database alone: nothing for a case file; on PostgreSQL, backend_pg
    and whatever `import psycopg` loads in a fresh interpreter (psycopg included)."""
    with open_store(case, create=False) as store:
        if dialect(store.conn) != POSTGRES:
            return set()
    probe = "import sys; s = set(sys.modules); import psycopg; print(','.join(sorted(set(sys.modules) - s)))"
    return {"engine.store.backend_pg"} | set(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                                            text=True, check=True).stdout.strip().split(","))
