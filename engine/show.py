"""Print a stage of the pipeline (`warrant show`): the parsed rules, the strata, or the SQL."""

from __future__ import annotations

from .eval.plan import make_plan
from .eval.relations import RunTables
from .eval.seminaive import compile_rule, delta_variants
from .proof.terms import literal_text, rule_atom_text
from .syntax.program import Program


def show(program: Program, stage: str) -> str:
    """A stage of the pipeline as text: `ast` (the rules as parsed), `plan` (strata) or `sql` (each statement)."""
    plan = make_plan(program)
    lines = []
    if stage == "ast":
        for d in program.declarations:
            cols = ", ".join(f"{c.name}: {c.type}" for c in d.columns)
            lines.append(f"{d.kind} {d.name}({cols})  # {d.span}")
        for c in program.constants:
            lines.append(f"{c.kind} {c.name} = {c.value.value!r}  # {c.span}")
        for r in program.rules:
            body = " and ".join(literal_text(lit) for lit in r.body)
            lines.append(f"rule {r.key}: {rule_atom_text(r.head)} if {body}.  # {r.span}")
    elif stage == "plan":
        for i, st in enumerate(plan, 1):
            kind = "recursive" if st.recursive else "single pass"
            lines.append(f"stratum {i} ({kind}): {', '.join(st.predicates)}; rules {', '.join(r.key for r in st.rules)}")
    elif stage == "sql":
        tables = RunTables({d.name: d for d in program.declarations})
        constants = {c.name: c for c in program.constants}
        for st in plan:
            for r in st.rules:
                first = compile_rule(r, st, tables, constants, None)
                lines.append(f"-- {r.key}, first round\n{first.sql};  -- {first.params}")
                if st.reads_own(r):
                    for v in delta_variants(r, st, tables, constants):
                        lines.append(f"-- {r.key}, delta round\n{v.sql};  -- {v.params}")
    else:
        raise ValueError(f"unknown stage {stage!r}: use ast, plan or sql")
    return "\n".join(lines) + "\n"
