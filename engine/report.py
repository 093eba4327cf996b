"""The case report: a summary of runs and, per conclusion, its narrative and proof graph.

Written as a folder a reviewer can open: index.md and index.html (summary tables with links),
and for each run reported in full, one folder holding each conclusion's proof as SVG, Markdown
narrative and HTML narrative. Pure output of the case file: the same case gives the same files.
"""

from __future__ import annotations

import html
from pathlib import Path

from .proof import api as proof_api


def _conclusion_predicates(program) -> list[str]:
    return sorted(d.name for d in program.declarations if d.kind == "conclusion")


def write_proofs(case, run_id: str, out_dir: Path) -> list[dict]:
    """Render every conclusion of a run (svg, md, html); returns one entry per conclusion."""
    program = case.program_for_run(run_id)
    entries = []
    for pred in _conclusion_predicates(program):
        for proof in case.why_all(pred, run_id):
            root = proof.nodes[proof.root]
            atom = proof_api.GroundAtom(root.predicate, tuple(root.args))
            files = {}
            for fmt in ("svg", "md", "html"):
                name = proof_api.file_name(atom, fmt)
                proof_api.write(proof, fmt, out_dir / name)
                files[fmt] = f"{out_dir.name}/{name}"
            rules = sorted({n.rule for n in proof.nodes.values() if n.kind == "derivation" and n.conclusion == proof.root})
            entries.append({"atom": proof.atom, "rules": rules, "files": files})
    return entries


def write_report(case, out_dir: str | Path, full_runs: list[str], title: str = "Case report") -> Path:
    """Write index.md and index.html summarising every run, with proofs for `full_runs`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = case.runs()
    details = {run_id: write_proofs(case, run_id, out / run_id) for run_id in full_runs}
    rows = []
    for r in runs:
        program = case.program_for_run(r["id"])
        counts = {p: r["counts"].get(p, 0) for p in _conclusion_predicates(program)}
        rows.append((r["id"], program.root.id, program.root.version, r["as_of"][:10], counts))
    md = _markdown(title, rows, details)
    (out / "index.md").write_text(md, encoding="utf-8")
    (out / "index.html").write_text(_html(title, rows, details), encoding="utf-8")
    return out / "index.html"


def _counts_text(counts: dict) -> str:
    return ", ".join(f"{p}: {n}" for p, n in counts.items()) or "-"


def _markdown(title: str, rows, details) -> str:
    lines = [f"# {title}", "", "## Runs", "", "| run | rulebook | version | as of | conclusions |", "|---|---|---|---|---|"]
    for run_id, rb, version, as_of, counts in rows:
        lines.append(f"| {run_id} | {rb} | {version} | {as_of} | {_counts_text(counts)} |")
    for run_id, entries in details.items():
        rb = next(r[1] for r in rows if r[0] == run_id)
        lines += ["", f"## {run_id}: {rb}", "", "| conclusion | rules | proof | narrative |", "|---|---|---|---|"]
        for e in entries:
            lines.append(f"| `{e['atom']}` | {', '.join(e['rules'])} | [graph]({e['files']['svg']}) | "
                         f"[narrative]({e['files']['md']}) |")
    return "\n".join(lines) + "\n"


def _html(title: str, rows, details) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
             "<style>body{font-family:Georgia,serif;max-width:70em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .6em;text-align:left}"
             "code{font-size:90%}td:first-child,td:nth-child(4){white-space:nowrap}</style></head><body>", f"<h1>{e(title)}</h1><h2>Runs</h2>",
             "<table><tr><th>run</th><th>rulebook</th><th>version</th><th>as of</th><th>conclusions</th></tr>"]
    for run_id, rb, version, as_of, counts in rows:
        parts.append(f"<tr><td>{e(run_id)}</td><td>{e(rb)}</td><td>{e(version)}</td><td>{e(as_of)}</td>"
                     f"<td>{e(_counts_text(counts))}</td></tr>")
    parts.append("</table>")
    for run_id, entries in details.items():
        rb = next(r[1] for r in rows if r[0] == run_id)
        parts.append(f"<h2>{e(run_id)}: {e(rb)}</h2><table><tr><th>conclusion</th><th>rules</th><th>proof</th>"
                     "<th>narrative</th></tr>")
        for x in entries:
            parts.append(f"<tr><td><code>{e(x['atom'])}</code></td><td>{e(', '.join(x['rules']))}</td>"
                         f"<td><a href='{e(x['files']['svg'])}'>graph</a></td>"
                         f"<td><a href='{e(x['files']['html'])}'>narrative</a></td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
