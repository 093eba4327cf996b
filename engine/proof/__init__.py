"""Stage 4: proofs. Why a fact holds (a DAG from conclusion to evidence) and why one does not.

model.py            the proof model (pydantic, frozen) and its JSON Schema
build.py            rebuild every derivation of a stored fact from its run (rounds < its height)
whynot_search.py    for a fact that does not hold: each rule's longest satisfiable prefix and what fails
render_text.py      indented tree (colour only when asked)
render_json.py      the model as byte-stable JSON
render_dot.py       Graphviz DOT, and svg/pdf/png through `dot`
render_narrative.py numbered paragraphs in plain legal English (Markdown, HTML)
render_whynot.py    why-not answers as text, Markdown, HTML, DOT
api.py              why / whynot / facts / render / write: what the CLI calls
"""

from .api import FORMATS, facts, render, why, why_all, whynot, write  # noqa: F401
from .build import build_proof  # noqa: F401
from .model import Limits, Proof  # noqa: F401
from .terms import GroundAtom, ProofError, parse_atom  # noqa: F401
from ..lazy import lazy_exports

# why-not's module (and the evaluator's SQL it uses) is loaded by the commands that answer one
__getattr__, __dir__ = lazy_exports(__name__, {".whynot_search": ("WhyNot", "why_not")})
