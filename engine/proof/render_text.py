"""Proofs as an indented tree: readable without colour; ANSI colour only when asked.

Each fact and evidence record is printed in full once and numbered `[n]`; later uses say
`see [n]`, so a shared subproof is never repeated.
"""

from __future__ import annotations

from .escape import visible as v
from .model import Proof
from .redact import contribution_value, total_text, withheld_banner
from .terms import value_text

_COLOURS = {"fact": "1", "conclusion": "1;34", "rule": "36", "evidence": "32", "absence": "33",
            "aggregate": "35", "comparison": "35", "omitted": "2", "fail": "31", "dim": "2", "withheld": "1;31"}


class Style:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, kind: str, text: str) -> str:
        """`text` with its invisible characters shown, coloured for `kind` when colour is on."""
        return f"\x1b[{_COLOURS[kind]}m{v(text)}\x1b[0m" if self.color else v(text)


def binding_text(binding: dict) -> str:
    return ", ".join(f"{k} = {value_text(x)}" for k, x in binding.items()) or "(none)"


def evidence_text(n, style: Style) -> tuple[str, list[str]]:
    """(first line, detail lines) of an evidence record; the details are not yet escaped."""
    head = f"{style('evidence', 'evidence')} {v(n.text)}"
    if n.grade:
        head += f"  grade {v(n.grade)}"
    src = " ".join(x for x in [n.source_name or n.source, f"({n.source_kind})" if n.source_kind else ""] if x)
    details = [f"record {n.record or '(no hash)'}", f"source {src or 'unknown'}"
               + (f" [{n.source}]" if n.source and n.source_name else "")]
    dates = [f"{label} {x}" for label, x in (("observed", n.observed), ("valid from", n.valid_from),
                                            ("valid to", n.valid_to), ("recorded", n.recorded_at)) if x]
    if dates:
        details.append(", ".join(dates))
    extra = [f"{label} {x}" for label, x in (("jurisdiction", n.jurisdiction), ("document", n.document)) if x]
    if extra:
        details.append(", ".join(extra))
    return head, details


def render_text(proof: Proof, color: bool = False) -> str:
    """The proof as an indented tree; every stored string is shown with its invisible characters escaped."""
    style = Style(color)
    banner = withheld_banner(proof)
    out: list[str] = [style("withheld", banner)] if banner else []
    out.append(style("dim", f"Proof of {proof.atom} in run {proof.run.run_id}, {proof.run.clocks_text()} "
                            f"(rules {proof.run.rulebook} {proof.run.version}, sha256 {proof.run.sha256[:12]})"))
    refs: dict[str, int] = {}

    def emit(prefix: str, first: str, lines: list[str], last: bool, top: bool) -> str:
        branch = "" if top else ("└── " if last else "├── ")
        out.append(prefix + branch + first)
        cont = prefix + ("" if top else ("    " if last else "│   "))
        for line in lines:
            out.append(cont + "  " + v(line))
        return cont

    def ref(node_id: str) -> str:
        if node_id not in refs:
            refs[node_id] = len(refs) + 1
        return f"[{refs[node_id]}]"

    def walk(node_id: str, prefix: str, last: bool, top: bool = False) -> None:
        n = proof.nodes[node_id]
        seen = node_id in refs
        if n.kind == "fact":
            role = "conclusion" if n.role == "conclusion" else "fact"
            label = style(role, n.text)
            if seen:
                emit(prefix, f"{label} {ref(node_id)} holds, see above", [], last, top)
                return
            rnd = f", round {n.round}" if n.round is not None else ""
            cont = emit(prefix, f"{label} {ref(node_id)} holds ({n.role}{rnd})", [], last, top)
            kids = n.derivations + n.evidence
            for i, k in enumerate(kids):
                walk(k, cont, i == len(kids) - 1)
        elif n.kind == "derivation":
            law = n.law_text()
            about = f"{n.title} (cites {n.citation}; {n.rulebook} {n.version}{'; ' + law if law else ''})"
            first = f"{style('rule', 'rule ' + n.rule)}: {v(about)}"
            lines = [f"because {n.explanation}", f"with {binding_text(n.binding)}"]
            cont = emit(prefix, first, lines + ([f"by {n.branch_text()}"] if n.branch else []), last, top)
            items = [(p, k) for p in n.premises for k in p.nodes]
            for i, (p, k) in enumerate(items):
                walk(k, cont, i == len(items) - 1)
        elif n.kind == "rulebook_fact":
            emit(prefix, f"{style('rule', 'stated by the rulebook')}: {v(f'{n.rulebook} {n.version} (cites {n.citation})')}",
                 [], last, top)
        elif n.kind == "evidence":
            head, details = evidence_text(n, style)
            if seen:
                emit(prefix, f"{head} {ref(node_id)} see above", [], last, top)
                return
            emit(prefix, f"{head} {ref(node_id)}", details, last, top)
        elif n.kind == "no_match":
            emit(prefix, f"{style('absence', 'absent')} {v(n.statement)}", [], last, top)
        elif n.kind == "absence":
            emit(prefix, f"{style('absence', 'absent')} {v(f'not {n.text}: {n.statement}')}", [], last, top)
        elif n.kind in ("comparison", "membership"):
            mark = "holds" if n.holds else style("fail", "FAILS")
            emit(prefix, f"{style('comparison', 'test')} {v(n.text)} {mark}", [], last, top)
        elif n.kind == "aggregate":
            first = f"{style('aggregate', n.function)} {v(f'{n.var} = {n.expression} = {total_text(n)}')}"
            if n.compared:
                mark = "holds" if n.compared.holds else style("fail", "FAILS")
                first += v(f"; {total_text(n)} {n.compared.op} {value_text(n.compared.value)} "
                           f"({n.compared.against}) ") + mark
            lines = [f"over {binding_text(n.group)}; {len(n.contributions)} contribution(s)"] if n.group else \
                [f"{len(n.contributions)} contribution(s)"]
            cont = emit(prefix, first, lines, last, top)
            for i, c in enumerate(n.contributions):
                last_c = i == len(n.contributions) - 1
                ccont = emit(cont, v(f"{binding_text(c.binding)}: {contribution_value(c)}"), [], last_c, False)
                for j, k in enumerate(c.nodes):
                    walk(k, ccont, j == len(c.nodes) - 1)
        elif n.kind == "withheld":
            emit(prefix, f"{style('withheld', 'withheld')} {v(n.statement)}", [f"commitment {n.commitment}"], last, top)
        else:
            emit(prefix, style("omitted", f"… {n.message}"), [], last, top)

    walk(proof.root, "", True, top=True)
    return "\n".join(out) + "\n"
