"""Packages load their heavy modules when a name is first used: every name they export still resolves, to
the object its module defines, and an unknown name is still an AttributeError."""

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["engine.api", "engine.store", "engine.syntax", "engine.eval"]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_resolves_to_its_modules_object(name):
    module = importlib.import_module(name)
    exported = [n for n in dir(module) if not n.startswith("_")]
    for attr in exported:
        value = getattr(module, attr)
        home = getattr(value, "__module__", None)
        if home and home.startswith("engine.") and callable(value):
            assert getattr(importlib.import_module(home), value.__name__) is value
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        getattr(module, "no_such_name")


def test_names_from_a_modules_siblings_and_a_packages_submodules_import_in_a_fresh_process():
    code = ("from engine.api import verify_bundle, facts_digest, FactsDiff\n"
            "from engine.store import load_facts, open_store, lines\n"
            "from engine.syntax import parse_text, Atom\n"
            "from engine.eval import evaluate\n"
            "import engine.audit.bundle, engine.audit.runs, engine.store.loading\n"
            "assert verify_bundle is engine.audit.bundle.verify_bundle and facts_digest is engine.audit.runs.facts_digest\n"
            "assert load_facts is engine.store.loading.load_facts and lines.__name__ == 'engine.store.lines'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
