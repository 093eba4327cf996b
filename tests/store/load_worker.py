"""Run one load in a child process: `python load_worker.py CASE_FILE RULEBOOK FACTS_DIR auto|on|off`."""

import sys

from engine.store import load_facts, open_store
from engine.syntax.program import load_program

if __name__ == "__main__":
    case_file, rulebook, facts_dir, mode = sys.argv[1:5]
    program, _, _ = load_program(rulebook)
    with open_store(case_file) as store:
        report = load_facts(store, program, facts_dir, progress={"auto": None, "on": True, "off": False}[mode])
    print(report.added)
