"""The functions the CLI calls: ask why or why not, render in any format, write to a file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..syntax.program import Program
from .build import ALL_ROUNDS, Context, Timeline, build_proof
from .evidence import EvidenceSQL
from .model import Limits, Proof
from .terms import GroundAtom, check_predicate
from ..store.facts import of_run

if TYPE_CHECKING:  # why-not's module is imported by the commands that answer one (see why_not below)
    from .whynot_search import WhyNot

FORMATS = ("text", "json", "dot", "svg", "pdf", "png", "md", "html")
EXTENSIONS = {"text": "txt", "json": "json", "dot": "dot", "svg": "svg", "pdf": "pdf", "png": "png", "md": "md",
              "html": "html"}


def why(conn, program: Program, run_id: str, atom, evidence_sql: EvidenceSQL, as_of: str | None = None,
        limits: Limits | None = None) -> Proof:
    """The proof of a ground atom (text such as 'blocked("A")', or a GroundAtom) in a stored run."""
    return build_proof(conn, program, run_id, atom, evidence_sql, as_of, limits)


def whynot(conn, program: Program, run_id: str, atom, evidence_sql: EvidenceSQL, as_of: str | None = None,
           depth: int = 3, timeline: Timeline | None = None, explain=None) -> WhyNot:
    """Why a ground atom does not hold, rule by rule, down `depth` levels of failed subgoals; with
    `timeline`, the records the run's clocks kept out are named with their dates; `explain(atom)` gives
    the explanation of another conclusion named beside the answer."""
    from .whynot_search import why_not
    return why_not(conn, program, run_id, atom, evidence_sql, as_of, depth, timeline, explain)


def facts(conn, program: Program, run_id: str, predicate: str) -> list[GroundAtom]:
    """Every fact of a derived predicate in a run, sorted (for `why --all`)."""
    decl = check_predicate(program, predicate)
    if decl.is_evidence:
        raise ValueError(f"{predicate} is evidence; `why --all` takes a derived or conclusion predicate")
    from ..eval.relations import ident, table_name
    cols = ", ".join(ident(c.name) for c in decl.columns) or "1"
    try:
        rows = conn.execute(f"SELECT DISTINCT {cols} FROM {table_name('fact', predicate)} WHERE {of_run()} "
                            f"ORDER BY {cols}", {"run_id": run_id}).fetchall()
    except Exception:
        rows = []
    return [GroundAtom(predicate, tuple(r) if decl.columns else ()) for r in rows]


def why_all(conn, program: Program, run_id: str, predicate: str, evidence_sql: EvidenceSQL,
            as_of: str | None = None, limits: Limits | None = None) -> list[Proof]:
    return [why(conn, program, run_id, a, evidence_sql, as_of, limits) for a in facts(conn, program, run_id, predicate)]


def render(obj: Proof | WhyNot, fmt: str, color: bool = False, court: bool = False,
           names: dict[str, str] | None = None) -> str | bytes:
    """A proof or why-not answer in one of FORMATS: str for text formats and svg, bytes for pdf and png.
    With `court`, a proof's court view (engine/proof/court.py; entity names from `names`) instead of the
    analyst view. Each renderer is imported when first asked for (a command renders in one format)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}; use one of {', '.join(FORMATS)}")
    if court:
        from .render_court import render_court
        return render_court(obj, fmt, names)
    if fmt == "json":
        from .render_json import render_json
        return render_json(obj)
    if fmt == "text" and not isinstance(obj, Proof):
        from .render_whynot import render_whynot_text
        return render_whynot_text(obj, color)
    if fmt == "text":
        from .render_text import render_text
        return render_text(obj, color)
    if fmt in ("md", "html"):
        return _narrative(obj, fmt)
    if not isinstance(obj, Proof):
        from .render_whynot import render_whynot_dot as dot
    else:
        from .render_dot import render_dot as dot
    source = dot(obj)
    if fmt == "dot":
        return source
    data = render_image(source, fmt)
    return data.decode("utf-8") if fmt == "svg" else data


def render_image(source: str, fmt: str) -> bytes:
    """DOT source drawn by Graphviz's `dot` as svg, pdf or png (RenderError if it cannot draw it)."""
    from .render_dot import render_image as draw
    return draw(source, fmt)


def _narrative(obj: Proof | WhyNot, fmt: str) -> str:
    if not isinstance(obj, Proof):
        from .render_whynot import render_whynot_html, render_whynot_markdown
        return (render_whynot_markdown if fmt == "md" else render_whynot_html)(obj)
    from .render_narrative import render_html, render_markdown
    return (render_markdown if fmt == "md" else render_html)(obj)


def write(obj: Proof | WhyNot, fmt: str, path: str | Path, color: bool = False, court: bool = False,
          names: dict[str, str] | None = None) -> Path:
    return write_data(render(obj, fmt, color, court, names), path)


def write_data(data: str | bytes, path: str | Path) -> Path:
    """Rendered output to a file (its folder made if missing): bytes as they are, text as UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def file_name(atom: GroundAtom, fmt: str) -> str:
    """A safe, stable file name for one fact's proof, e.g. blocked_A.svg (for `why --all -o DIR`)."""
    import hashlib
    import re
    text = str(atom)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80]
    return f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:8]}.{EXTENSIONS[fmt]}"


__all__ = ["why", "whynot", "facts", "why_all", "render", "write", "write_data", "file_name", "FORMATS", "ALL_ROUNDS", "Context"]
