"""Proofs as numbered paragraphs in plain legal English, with citations and the evidence relied on,
as Markdown or as a self-contained HTML page (every value escaped).

One paragraph per fact, the conclusion first, then the facts it rests on in the order they are
first mentioned; a fact used twice is explained once and referred to by its paragraph number.
"""

from __future__ import annotations

from .escape import html, markdown
from .model import Proof
from .redact import total_text, withheld_banner
from .terms import plain_value, value_text

Ref = tuple[str, int]  # ("ref", paragraph number)


def _facts_in_order(proof: Proof) -> list[str]:
    order, queue = [], [proof.root]
    while queue:
        nid = queue.pop(0)
        if nid in order:
            continue
        if proof.nodes[nid].kind == "fact":
            order.append(nid)
        queue += [k for k in proof.children(nid) if k not in order]
    return order


def _evidence_line(n) -> str:
    parts = [f"{n.text}: record {n.record or '(no hash)'}",
             f"source {n.source_name or n.source or 'unknown'}" + (f" ({n.source_kind})" if n.source_kind else "")]
    if n.grade:
        parts.append(f"grade {n.grade}")
    for label, v in (("jurisdiction", n.jurisdiction), ("document", n.document), ("observed", n.observed),
                     ("valid from", n.valid_from), ("valid to", n.valid_to), ("recorded", n.recorded_at)):
        if v:
            parts.append(f"{label} {v}")
    return "; ".join(parts) + "."


def paragraphs(proof: Proof) -> list[dict]:
    """[{number, title, text: [str | Ref], grounds: [[str | Ref]], evidence: [str]}] in order."""
    facts = _facts_in_order(proof)
    number = {nid: i + 1 for i, nid in enumerate(facts)}
    out = []
    for nid in facts:
        f = proof.nodes[nid]
        evidence: list[str] = []

        def cite(ids, evidence=evidence) -> list:
            bits: list = []
            for k in ids:
                n = proof.nodes[k]
                if n.kind == "fact":
                    bits.append([f"{n.text} (see ", ("ref", number[k]), ")"])
                elif n.kind == "evidence":
                    line = _evidence_line(n)
                    if line not in evidence:
                        evidence.append(line)
                    bits.append([f"the record {n.record or n.text} ({n.source_name or n.source or 'unknown source'}"
                                 + (f", grade {n.grade}" if n.grade else "") + ")"])
                elif n.kind in ("absence", "no_match"):
                    bits.append([n.statement])
                elif n.kind in ("comparison", "membership"):
                    bits.append([f"the test {n.text} is {'met' if n.holds else 'not met'}"])
                elif n.kind == "omitted":
                    bits.append([f"({n.message})"])
                elif n.kind == "withheld":
                    bits.append([f"{n.statement} (commitment {n.commitment})"])
            joined: list = []
            for i, b in enumerate(bits):
                if i:
                    joined.append("; " if i < len(bits) - 1 else " and ")
                joined += b
            return joined

        grounds = []
        for d_id in f.derivations:
            d = proof.nodes[d_id]
            if d.kind == "omitted":
                grounds.append([d.message + "."])
                continue
            if d.kind == "withheld":
                grounds.append([f"It rests on {d.statement} (commitment {d.commitment})."])
                continue
            if d.kind == "rulebook_fact":
                grounds.append([f"It is stated by the rulebook {d.rulebook} (version {d.version}), citing {d.citation}."])
                continue
            law = d.law_text()
            g: list = [f"Under rule {d.rule} ({d.title}; {d.citation}; {d.rulebook} version {d.version}"
                       f"{'; ' + law if law else ''}"
                       f"{', by its ' + d.branch_text() if d.branch else ''}): "
                       f"{d.explanation}."]
            for p in d.premises:
                nodes = [proof.nodes[k] for k in p.nodes]
                if p.kind == "aggregate":
                    a = nodes[0]
                    g.append(f" {a.var} = {a.expression} comes to {total_text(a)}")
                    if a.compared:
                        g.append(f", which {'meets' if a.compared.holds else 'does not meet'} the test "
                                 f"{a.compared.op} {value_text(a.compared.value)} ({a.compared.against})")
                    g.append(".")
                    for c in a.contributions:
                        if not c.binding and c.value is None:
                            g += [" "] + cite(c.nodes) + ["."]
                            continue
                        who = ", ".join(f"{k} = {plain_value(v)}" for k, v in c.binding.items())
                        g.append(f" {who} contributes {value_text(c.value)}, on ")
                        g += cite(c.nodes)
                        g.append(".")
                elif p.kind == "atom" and len(nodes) == 1 and nodes[0].kind == "fact":
                    g += [f" It rests on {nodes[0].text} (see ", ("ref", number[p.nodes[0]]), ")."]
                elif p.kind == "atom":
                    g.append(f" It rests on {p.text}, established by ")
                    g += cite(p.nodes) if p.nodes else ["(nothing shown)"]
                    g.append(".")
                else:
                    g.append(" ")
                    first = cite(p.nodes)
                    if first and isinstance(first[0], str):
                        first[0] = first[0][:1].upper() + first[0][1:]
                    g += first
                    g.append(".")
            grounds.append(g)
        if f.evidence:
            grounds.append(["It is recorded in the evidence in force: "] + cite(f.evidence) + ["."])
        kind = {"conclusion": "conclusion", "derived": "derived fact", "evidence": "evidence"}[f.role]
        out.append({"number": number[nid], "anchor": f"p{number[nid]}", "title": f.text,
                    "lead": f"{f.text} holds ({kind}" + (f", round {f.round}" if f.round is not None else "") + ").",
                    "grounds": grounds, "evidence": evidence})
    return out


def _md_pieces(pieces) -> str:
    return "".join(markdown(p) if isinstance(p, str) else f"paragraph {p[1]}" for p in pieces)


def _header(proof: Proof) -> tuple[str, str]:
    r = proof.run
    banner = withheld_banner(proof)
    return (f"Why {proof.atom} holds" + (f": {banner.removeprefix(proof.atom + ' ')}" if banner else ""),
            f"Run {r.run_id}, {r.clocks_text()}; rules {r.rulebook} version {r.version} "
            f"(sha256 {r.sha256}).")


def render_markdown(proof: Proof) -> str:
    title, sub = _header(proof)
    lines = [f"# {markdown(title)}", "", markdown(sub), ""]
    for p in paragraphs(proof):
        lines.append(f"{p['number']}. **{markdown(p['lead'])}**")
        many = len(p["grounds"]) > 1
        if many:
            lines.append(f"   It holds on {len(p['grounds'])} grounds, each sufficient on its own.")
        for i, g in enumerate(p["grounds"]):
            prefix = f"({chr(97 + i)}) " if many and i < 26 else ""
            lines.append("")
            lines.append("   " + prefix + _md_pieces(g))
        if p["evidence"]:
            lines += ["", "   Evidence relied on:", ""]
            lines += [f"   - {markdown(e)}" for e in p["evidence"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_CSS = ("body{font-family:Georgia,serif;max-width:52em;margin:2em auto;line-height:1.45;color:#222}"
        "h1{font-size:1.5em}.sub{color:#555}ol>li{margin-bottom:1.2em}.lead{font-weight:bold}"
        ".ev{font-size:.9em;color:#333}.ev li{margin:.2em 0}code{font-size:.95em}")


def _html_pieces(pieces) -> str:
    return "".join(html(p) if isinstance(p, str) else f'<a href="#p{p[1]}">paragraph {p[1]}</a>'
                   for p in pieces)


def render_html(proof: Proof) -> str:
    title, sub = _header(proof)
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{html(title)}</h1>", f'<p class="sub">{html(sub)}</p>', "<ol>"]
    for p in paragraphs(proof):
        out.append(f'<li id="{p["anchor"]}"><p class="lead">{html(p["lead"])}</p>')
        many = len(p["grounds"]) > 1
        if many:
            out.append(f"<p>It holds on {len(p['grounds'])} grounds, each sufficient on its own.</p>")
        for i, g in enumerate(p["grounds"]):
            prefix = f"({chr(97 + i)}) " if many and i < 26 else ""
            out.append(f"<p>{prefix}{_html_pieces(g)}</p>")
        if p["evidence"]:
            out.append('<div class="ev">Evidence relied on:<ul>')
            out += [f"<li>{html(e)}</li>" for e in p["evidence"]]
            out.append("</ul></div>")
        out.append("</li>")
    out += ["</ol>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
