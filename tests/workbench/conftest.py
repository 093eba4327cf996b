"""Case files for the workbench tests: the demo case (built once per session, it takes seconds) and a small
case whose entity names are hostile markup."""

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import pytest

from engine import api
from engine.store.schema import open_store, table_names, write_transaction

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
HOSTILE = ['<script>alert(1)</script>', '"]; a -> b [label="', "x' onmouseover='alert(2)"]
RULES = textwrap.dedent('''\
    rulebook mini "Mini" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed" cites "31 CFR 501.801 <b>":
      blocked(P) if listed(P, "SDN").
      because "{P} is on the SDN list".
    rule R2 "Owned 50% or more" cites "OFAC guidance (2014)":
      blocked(E) if T = sum(Pct for owns(O, E, Pct) and blocked(O)) and T >= 50.
      because "{E} is owned {T}% by blocked persons <&>".
    ''')


def _scope(fixture_name, config) -> str:
    """Built once a session; on the PostgreSQL pass once a module, whose case databases are dropped after it."""
    return "module" if os.environ.get("WARRANT_TEST_DATABASE") == "postgresql" else "session"


def demo_module():
    sys.path.insert(0, str(DEMO))
    spec = importlib.util.spec_from_file_location("run_demo", DEMO / "run_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope=_scope)
def demo_case(tmp_path_factory) -> Path:
    """The demo case file with every run of scripts/demo.sh (closed: the workbench opens it read-only)."""
    module = demo_module()
    path = tmp_path_factory.mktemp("workbench-demo") / "case.db"
    case = module.build(path)
    try:
        module.run_all(case)
        module.retrospective(case)
    finally:
        case.close()
    return path


def case_content(path: Path) -> dict:
    """Every table of a case file but the audit log, row by row (what browsing must leave as it was)."""
    with open_store(path, create=False) as store:
        return {t: sorted(map(repr, store.conn.execute(f'SELECT * FROM "{t}"')))
                for t in table_names(store.conn) if t != "audit_log"}


def csv_text(rows: list[list[str]]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture(scope=_scope)
def hostile_case(tmp_path_factory) -> Path:
    """Two runs of a small rulebook over entities named with markup, DOT syntax and quotes: the first with
    the owners listed, the second with one holding more."""
    return _hostile(tmp_path_factory.mktemp("workbench-hostile"))


def _hostile(root: Path) -> Path:
    (root / "mini.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text(csv_text([["party", "list"], [HOSTILE[0], "SDN"], [HOSTILE[2], "SDN"]]))
    (facts / "owns.csv").write_text(csv_text([["owner", "owned", "percent"], [HOSTILE[0], HOSTILE[1], "30"]]))
    more = root / "more"
    more.mkdir()
    (more / "owns.csv").write_text(csv_text([["owner", "owned", "percent"], [HOSTILE[2], HOSTILE[1], "25"]]))
    program = api.load_rulebook(root / "mini.rules")
    with api.Case.open(root / "case.db") as case:
        case.run(program, facts=facts)
        case.run(program, facts=more)
    return root / "case.db"


@pytest.fixture(scope=_scope)
def named_case(tmp_path_factory) -> Path:
    """The hostile case (another one: a copy would end the sessions open on it) with an entity-names table as an
    FtM import makes it (id, name, aliases as JSON, country, registration, schema), one name itself hostile."""
    path = _hostile(tmp_path_factory.mktemp("workbench-named"))
    with open_store(path, create=False) as store, write_transaction(store):  # a case on PostgreSQL has the table
        store.conn.execute("CREATE TABLE IF NOT EXISTS entity_names (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                           "aliases TEXT NOT NULL DEFAULT '[]', country TEXT, registration TEXT, schema TEXT)")
        store.conn.execute("INSERT INTO entity_names VALUES (?, ?, ?, ?, ?, ?)",
                           [HOSTILE[1], "Volkhov <b>Energy</b> PJSC", '["Volkhov Energiya", "VE Holding"]', "RU",
                            "1027700132195", "Company"])
    return path
