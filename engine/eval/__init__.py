"""Stage 3: evaluation. Rules are compiled to SQL and run semi-naively inside SQLite.

plan.py      strata in evaluation order, which rules and predicates are recursive
relations.py the SQL tables each predicate lives in during a run, and who reads which version
sqlgen.py    one rule body -> one SELECT (joins, comparisons, NOT EXISTS, aggregates)
seminaive.py the fixpoint loop, round by round, recording each fact's round and rule
run.py       a whole run: evidence snapshot -> fixpoint -> facts stored under a run id
"""

from ..lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {".run": ("EvalError", "RunResult", "evaluate", "stored_conclusions")})
