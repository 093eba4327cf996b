"""The case report: a summary of runs and, per conclusion, its narrative and proof graph.

Written as a folder a reviewer can open: index.md and index.html (summary tables with links),
and for each run reported in full, one folder holding each conclusion's proof as SVG, Markdown
narrative and HTML narrative. Pure output of the case file: the same case gives the same files.

Every string read from the case file is escaped for the format it is written in (proof/escape.py),
and no stored string is used as a path unchecked: run folders get safe names (`folder_name`) and
every file written must resolve inside the output folder. A proof whose graph cannot be drawn is
named in the report and passed to `on_failure`; the rest of the report is still written.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Callable

from .diagnostics import WarrantError, error
from .proof import api as proof_api
from .proof.escape import html as e
from .proof.escape import markdown as md
from .proof.render_dot import RenderError
from .store.timeline import moment_text

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_RESERVED = {"index.md", "index.html"}


def folder_name(text: str) -> str:
    """A folder name for a stored string such as a run id: the string itself when it is a plain name
    (letters, digits, `_.-`, not starting with a dot or dash, at most 64 characters), otherwise its
    plain characters followed by a hash of the whole string. Never a path: no separator, never `..`."""
    if _PLAIN_NAME.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).lstrip("._-")[:40]
    return f"{stem or 'run'}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


def _inside(root: Path, path: Path) -> Path:
    """`path` if it resolves inside `root` (following any symlink), else an error naming it."""
    if not path.resolve().is_relative_to(root):
        raise WarrantError(error("O001", f"{path} would be written outside the output folder {root}",
                                 hint="give -o an empty folder of its own (no symlinks inside it)"))
    return path


def _conclusion_predicates(program) -> list[str]:
    return sorted(d.name for d in program.declarations if d.kind == "conclusion")


def _write_one(proof, fmt: str, root: Path, folder: str, atom) -> tuple[str, str | None]:
    """(relative path, None) once written, or (relative path, why not) when the renderer failed."""
    name = f"{folder}/{proof_api.file_name(atom, fmt)}"
    try:
        proof_api.write(proof, fmt, _inside(root, root / name))
    except RenderError as exc:
        return name, str(exc)
    return name, None


def write_proofs(case, run_id: str, root: Path, folder: str,
                 on_failure: Callable[[str], None] | None = None) -> list[dict]:
    """Render every conclusion of a run (svg, md, html) into `root/folder`; one entry per conclusion,
    with `failed` naming each format that could not be rendered."""
    program = case.program_for_run(run_id)
    entries = []
    for pred in _conclusion_predicates(program):
        for proof in map(case.named, case.why_all(pred, run_id)):
            root_node = proof.nodes[proof.root]
            atom = proof_api.GroundAtom(root_node.predicate, tuple(root_node.args))
            files, failed = {}, {}
            for fmt in ("svg", "md", "html"):
                files[fmt], problem = _write_one(proof, fmt, root, folder, atom)
                if problem:
                    failed[fmt] = problem
                    if on_failure:
                        on_failure(f"run {run_id}: {fmt} of {proof.atom} not written: {problem}")
            rules = sorted({n.rule for n in proof.nodes.values() if n.kind == "derivation" and n.conclusion == proof.root})
            entries.append({"atom": proof.atom, "rules": rules, "files": files, "failed": failed})
    return entries


def _run_folders(run_ids: list[str]) -> dict[str, str]:
    """A distinct folder name for each run (compared without case, for case-insensitive file systems)."""
    folders: dict[str, str] = {}
    for run_id in dict.fromkeys(run_ids):
        name = folder_name(run_id)
        if name.lower() in {f.lower() for f in folders.values()}:
            name = f"run-{hashlib.sha256(run_id.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"
        folders[run_id] = name
    return folders


def write_report(case, out_dir: str | Path, full_runs: list[str], title: str = "Case report",
                 on_failure: Callable[[str], None] | None = None) -> Path:
    """Write index.md and index.html summarising every run, with proofs for `full_runs`; returns index.html.
    Each proof that cannot be rendered is named in the report and passed to `on_failure`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = out.resolve()
    folders = _run_folders(full_runs)
    details = {run_id: write_proofs(case, run_id, root, folder, on_failure) for run_id, folder in folders.items()}
    rows = []
    for r in case.runs():
        program = case.program_for_run(r["id"])
        counts = case.conclusion_counts(r["id"])
        rows.append((r["id"], program.root.id, program.root.version, r["as_of"][:10],
                     moment_text(r["known_at"] or r["as_of"]), counts))
    changes = case.alerts()
    _inside(root, out / "index.md").write_text(_markdown(title, rows, details, changes), encoding="utf-8")
    _inside(root, out / "index.html").write_text(_html(title, rows, details, changes), encoding="utf-8")
    return out / "index.html"


def _counts_text(counts: dict) -> str:
    return ", ".join(f"{p}: {n}" for p, n in counts.items()) or "-"


def _md_link(entry: dict, fmt: str, text: str) -> str:
    if fmt in entry["failed"]:
        return md(f"{text} not drawn: {entry['failed'][fmt]}")
    return f"[{text}]({entry['files'][fmt]})"


def _html_link(entry: dict, fmt: str, text: str) -> str:
    if fmt in entry["failed"]:
        return e(f"{text} not drawn: {entry['failed'][fmt]}")
    return f"<a href='{e(entry['files'][fmt])}'>{text}</a>"


ALERTS = "Alerts: what each rulebook's latest run gained or lost"


def _markdown(title: str, rows, details, changes) -> str:
    lines = [f"# {md(title)}", "", "## Runs", "",
             "| run | rulebook | version | assessed as of | evidence recorded up to | conclusions |",
             "|---|---|---|---|---|---|"]
    for run_id, rb, version, as_of, known_at, counts in rows:
        lines.append(f"| {md(run_id)} | {md(rb)} | {md(version)} | {md(as_of)} | {md(known_at)} "
                     f"| {md(_counts_text(counts))} |")
    if changes:
        lines += ["", f"## {ALERTS}", "", "| change | conclusion | rulebook | runs | reason |", "|---|---|---|---|---|"]
        lines += [f"| {'gained' if a.gained else 'lost'} | {md(a.atom)} | {md(a.rulebook)} | {md(a.run_a)} to "
                  f"{md(a.run_b)} | {md(a.reason)} |" for a in changes]
    for run_id, entries in details.items():
        rb = next(r[1] for r in rows if r[0] == run_id)
        lines += ["", f"## {md(run_id)}: {md(rb)}", "", "| conclusion | rules | proof | narrative |",
                  "|---|---|---|---|"]
        for x in entries:
            lines.append(f"| {md(x['atom'])} | {md(', '.join(x['rules']))} | {_md_link(x, 'svg', 'graph')} | "
                         f"{_md_link(x, 'md', 'narrative')} |")
    return "\n".join(lines) + "\n"


def _html(title: str, rows, details, changes) -> str:
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
             "<style>body{font-family:Georgia,serif;max-width:70em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .6em;text-align:left}"
             "code{font-size:90%}td:first-child,td:nth-child(4){white-space:nowrap}</style></head><body>", f"<h1>{e(title)}</h1><h2>Runs</h2>",
             "<table><tr><th>run</th><th>rulebook</th><th>version</th><th>assessed as of</th>"
             "<th>evidence recorded up to</th><th>conclusions</th></tr>"]
    for run_id, rb, version, as_of, known_at, counts in rows:
        parts.append(f"<tr><td>{e(run_id)}</td><td>{e(rb)}</td><td>{e(version)}</td><td>{e(as_of)}</td><td>{e(known_at)}</td>"
                     f"<td>{e(_counts_text(counts))}</td></tr>")
    parts.append("</table>")
    if changes:
        parts.append(f"<h2>{e(ALERTS)}</h2><table><tr><th>change</th><th>conclusion</th><th>rulebook</th>"
                     "<th>runs</th><th>reason</th></tr>")
        parts += [f"<tr><td>{'gained' if a.gained else 'lost'}</td><td><code>{e(a.atom)}</code></td>"
                  f"<td>{e(a.rulebook)}</td><td>{e(a.run_a)} to {e(a.run_b)}</td><td>{e(a.reason)}</td></tr>"
                  for a in changes]
        parts.append("</table>")
    for run_id, entries in details.items():
        rb = next(r[1] for r in rows if r[0] == run_id)
        parts.append(f"<h2>{e(run_id)}: {e(rb)}</h2><table><tr><th>conclusion</th><th>rules</th><th>proof</th>"
                     "<th>narrative</th></tr>")
        for x in entries:
            parts.append(f"<tr><td><code>{e(x['atom'])}</code></td><td>{e(', '.join(x['rules']))}</td>"
                         f"<td>{_html_link(x, 'svg', 'graph')}</td><td>{_html_link(x, 'html', 'narrative')}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
