"""The `warrant` command: a thin layer over engine.api. Exit codes: 0 success, 1 a finding
(failed check or example), 2 bad input or usage. Errors go to stderr as path:line:col: error: ..."""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
import textwrap
from pathlib import Path

import click

from . import __version__
from .defaults import DEFAULT_MAX_FACTS, DEFAULT_MAX_SECONDS
from .lazy import OnFirstUse

api = OnFirstUse("engine.api")  # `warrant --version`, `--help` and bad arguments do not wait for the engine


def clocks_text(as_of: str, known_at: str | None) -> str:
    from .store.timeline import clocks_text as text
    return text(as_of, known_at)


def render(diag, sources) -> str:
    from .diagnostics import render as text
    return text(diag, sources)


def render_all(diags, sources=None) -> str:
    from .diagnostics import render_all as text
    return text(diags, sources)


def _user_error(exc: Exception, db: str) -> str | None:
    """The message for an error a user can act on (exit 2), or None for a bug (let it raise)."""
    from .diagnostics import WarrantError
    from .eval import EvalError
    from .proof.terms import ProofError
    from .store.schema import busy_error, is_busy

    if isinstance(exc, WarrantError):
        return render_all(exc.diagnostics, exc.sources)
    if isinstance(exc, (FileNotFoundError, EvalError, ProofError)):
        return f"error: {exc}"
    if isinstance(exc, sqlite3.OperationalError) and is_busy(exc):  # bad luck, not a finding: exit 2, never 1
        busy = busy_error(db)
        return render_all(busy.diagnostics, busy.sources)
    if (psycopg := sys.modules.get("psycopg")) and isinstance(exc, psycopg.errors.LockNotAvailable):
        busy = busy_error(db)  # waited for another command's write lock in vain, as on a case file
        return render_all(busy.diagnostics, busy.sources)
    if psycopg and isinstance(exc, psycopg.errors.InsufficientPrivilege):  # a principal's role held back
        from .access.roles_pg import refused

        denied = refused(exc)
        return render_all(denied.diagnostics, denied.sources)
    if psycopg and isinstance(exc, psycopg.OperationalError):
        return f"error: the PostgreSQL server failed the command: {' '.join(str(exc).split())}"
    return None


def _fail(message: str, code: int = 2) -> None:
    click.echo(message.rstrip(), err=True)
    sys.exit(code)


def handle_errors(fn):
    """Turn the errors users can act on into messages and exit code 2, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            message = _user_error(exc, kwargs.get("db") or "")
            if message is None:
                raise
            _fail(message)

    return wrapper


db_option = click.option("--db", default="case.db", show_default=True,
                         help="The case: a SQLite case file, or a PostgreSQL database as postgresql://USER@HOST/DB.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
run_option = click.option("--run", "run_id", default=None, help="A run id (default: the latest run).")
keys_option = click.option("--keys", "keys_dir", default=None, metavar="DIR",
                           help="The agency key folder (default: $WARRANT_KEYS, else ~/.config/warrant/keys).")
trust_option = click.option("--trust", default=None, envvar="WARRANT_TRUST", metavar="PATH",
                            help="The trust store: a folder of partners' exported keys, or one JSON file "
                                 "(default: $WARRANT_TRUST).")


def point_options(fn):
    """--rulebook, --as-of and --known-at: ask a point question of a rulebook without a current run."""
    fn = click.option("--known-at", default=None, help="With --rulebook: the evidence recorded by this date or "
                      "timestamp (default: now).")(fn)
    fn = click.option("--as-of", default=None, help="With --rulebook: the assessment date (default: now).")(fn)
    return click.option("--rulebook", default=None, metavar="PATH",
                        help="Ask of this rulebook: its current run if there is one, else a partial evaluation "
                             "of only what the question needs, never stored (instead of the latest run).")(fn)


def _point(rulebook: str | None, run_id: str | None, as_of: str | None, known_at: str | None) -> dict:
    """The keyword arguments of a question asked of `rulebook` (none without it); --run wins over it."""
    if rulebook is None or run_id is not None:
        return {}
    return {"program": api.load_rulebook(rulebook), "as_of": as_of, "known_at": known_at}


def _trust(path: str | None):
    from .audit.keys import load_trust
    return load_trust(path) if path else None


def _echo_json(data) -> None:
    """Print `data` as strict JSON; a non-finite number (which JSON cannot carry) is an error, exit 2."""
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except ValueError:
        _fail("error: the answer holds a number that is not finite (Infinity or NaN), which JSON cannot carry; "
              "runs now refuse such values: run the rulebook again")
    click.echo(text)


@click.group()
@click.version_option(__version__, prog_name="warrant")
@click.option("--actor", default=None, help="Who is acting, for the audit log (default: the operating-system user).")
@click.option("--as", "as_principal", default=None, envvar="WARRANT_PRINCIPAL", metavar="NAME",
              help="The principal to act as: reads show only what it may see (default: $WARRANT_PRINCIPAL, "
                   "else the case file's all-seeing owner).")
def main(actor, as_principal) -> None:
    """Warrant: rules and evidence, with a proof for every conclusion."""


def _case(db: str, create: bool = False) -> api.Case:
    """Open the case (a case file, or a database named by a postgresql:// URL) as the actor and principal
    given to the root command; only `create` makes a missing one."""
    root = click.get_current_context().find_root().params
    return api.Case.open(db, actor=root.get("actor"), create=create, as_principal=root.get("as_principal"))


@main.command()
@click.argument("rulebooks", nargs=-1, required=True)
@json_option
@handle_errors
def check(rulebooks, as_json):
    """Check rulebooks for errors and warnings (exit 1 if any error)."""
    result = api.check(list(rulebooks))
    if as_json:
        _echo_json([d.to_json() for d in result.diagnostics])
    elif result.diagnostics:
        click.echo(render_all(result.diagnostics, result.sources), err=True, nl=False)
    else:
        click.echo(f"{len(rulebooks)} rulebook(s) checked: no problems found")
    sys.exit(0 if result.ok else 1)


@main.command()
@click.argument("rulebook")
@click.argument("facts_dir")
@click.option("--recorded-at", default=None,
              help="When the case file is taken to have received these records (importing an older case's files); "
                   "not in the future. The audit log still records the real time.")
@db_option
@json_option
@handle_errors
def load(rulebook, facts_dir, recorded_at, db, as_json):
    """Validate and load a facts folder into the case file (all or nothing)."""
    program = api.load_rulebook(rulebook)
    with _case(db, create=True) as case:
        report = case.load(program, facts_dir, recorded_at=recorded_at)
        location = case.store.path  # a URL without its password
    warnings = [w.diagnostic() for w in report.warnings]
    if as_json:
        _echo_json({"batch": report.batch, "added": report.added, "duplicates": report.duplicates,
                    "files": [f.to_json() for f in report.files], "warnings": [w.to_json() for w in warnings]})
    else:
        for f in report.files:
            click.echo(f"{f.path}: {f.rows_read} rows, {f.added} added, {f.duplicates} already present")
        click.echo(f"loaded into {location}: {report.added} new records, {report.duplicates} already present")
        if warnings:
            click.echo(render_all(warnings), err=True, nl=False)


@main.group("import")
def import_group() -> None:
    """Import evidence published in other formats (FollowTheMoney)."""


@import_group.command("ftm")
@click.argument("files", nargs=-1, required=True)
@click.option("--mapping", default=None, help="The mapping file (TOML; default: rulebooks/ftm_mapping.toml).")
@click.option("--rulebook", default=None, help="The rulebook whose evidence to fill (default: the mapping's).")
@click.option("--recorded-at", default=None, help="When the case file is taken to have received these records.")
@db_option
@json_option
@handle_errors
def import_ftm(files, mapping, rulebook, recorded_at, db, as_json):
    """Import FtM entity files (JSON lines, as OpenSanctions ships them): all or nothing, every entity
    accounted for (loaded, or skipped with the reason)."""
    with _case(db, create=True) as case:
        done = case.import_ftm(list(files), mapping, rulebook, recorded_at=recorded_at)
        location = case.store.path  # a URL without its password
    if as_json:
        _echo_json(done.to_json())
        return
    summary = done.summary
    click.echo(f"{summary.entities} entities: {summary.loaded} loaded, {summary.skipped} skipped; "
               f"{summary.names} names")
    for predicate, count in sorted(summary.records.items()):
        click.echo(f"  {predicate}: {count} records")
    for item in done.to_json()["not_loaded"]:
        click.echo(f"  not loaded ({item['count']}): {item['reason']} (e.g. {', '.join(item['examples'])})")
    click.echo(f"loaded into {location}: {done.load.added} new records, {done.load.duplicates} already present")


@main.command("export-ftm")
@click.option("-o", "--output", default=None, help="The file to write (JSON lines; default: standard output).")
@db_option
@run_option
@handle_errors
def export_ftm(output, db, run_id):
    """Write a run's conclusions as FollowTheMoney entities (one Sanction-schema entity per conclusion)."""
    with _case(db) as case:
        entities = case.export_ftm(run_id)
    text = "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in entities)
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(entities)} FtM entities to {output}")


@main.command()
@click.argument("rulebook")
@click.option("--facts", "facts_dir", default=None, help="Load this facts folder first.")
@click.option("--as-of", default=None,
              help="The assessment date: validity windows and the law in force on this date (default: now).")
@click.option("--known-at", default=None,
              help="Use only the evidence recorded by this date or timestamp (default: now, every record).")
@click.option("--max-rounds", default=100_000, show_default=True, help="Stop a fixpoint that does not close.")
@click.option("--max-seconds", default=DEFAULT_MAX_SECONDS, show_default=True, type=click.FloatRange(min=0),
              help="Stop the evaluation after this many seconds, storing nothing (0: no limit).")
@click.option("--max-facts", default=DEFAULT_MAX_FACTS, show_default=True, type=click.IntRange(min=0),
              help="Stop the evaluation once it has derived more facts than this, storing nothing (0: no limit).")
@click.option("--full", is_flag=True,
              help="Evaluate everything afresh instead of taking over the unchanged part of the previous run.")
@db_option
@json_option
@handle_errors
def run(rulebook, facts_dir, as_of, known_at, max_rounds, max_seconds, max_facts, full, db, as_json):
    """Evaluate a rulebook over the case file and store its conclusions as a new run."""
    from .numbers import argument_text

    program = api.load_rulebook(rulebook)
    with _case(db, create=True) as case:
        result = case.run(program, facts=facts_dir, as_of=as_of, max_rounds=max_rounds, known_at=known_at,
                          max_seconds=max_seconds, max_facts=max_facts, full=full)
        clocks = case.clocks(result.run_id)
    if as_json:
        _echo_json({"run_id": result.run_id, "rulebook": result.rulebook, "as_of": clocks.as_of,
                    "known_at": clocks.known_at, "evaluation": result.reuse.to_json(),
                    "conclusions": result.conclusions})
        return
    click.echo(f"{result.run_id}: {program.root.id} version {program.root.version}, {clocks_text(clocks.as_of, clocks.known_at)}")
    click.echo(f"  {result.reuse.text()}")
    for pred, rows in result.conclusions.items():
        click.echo(f"  {pred}: {len(rows)}")
        if rows:  # one write per predicate: 84,569 echo calls cost 0.5 s, one joined text 0.1 s
            click.echo("\n".join(f"    {pred}({', '.join(argument_text(v) for v in row)})" for row in rows))


@main.command()
@click.argument("pattern")
@db_option
@run_option
@point_options
@json_option
@handle_errors
def query(pattern, db, run_id, rulebook, as_of, known_at, as_json):
    """List the facts matching a pattern such as 'owns(X, "A", P)' (tab-separated; control and invisible
    characters in values shown as escapes such as \\x1b, exact values with --json)."""
    from .proof.escape import visible
    from .proof.terms import plain_value

    with _case(db) as case:
        columns, rows = case.query(pattern, run_id, **_point(rulebook, run_id, as_of, known_at))
    if not columns:  # a nullary predicate holds or not
        _echo_json(bool(rows)) if as_json else click.echo("true" if rows else "false")
        return
    if as_json:
        _echo_json({"columns": columns, "rows": rows})
        return
    for row in rows:
        click.echo("\t".join(visible(plain_value(v)) for v in row))
    click.echo(f"{len(rows)} row(s)", err=True)


@main.command("test")
@click.argument("paths", nargs=-1, required=True)
@click.option("--coverage", is_flag=True,
              help="Also report the rules, thresholds and constants, and dated values no example exercises.")
@json_option
@handle_errors
def test_cmd(paths, coverage, as_json):
    """Run the examples written in rulebooks (folders: every *.rules inside). A failed expectation is
    explained: the why-not of a fact that should hold, the proof of one that should not."""
    from .example_coverage import coverage_text

    report = api.test_rulebooks(list(paths), coverage)
    failed = report.failed
    if as_json:
        data = {"examples": report.total, "failed": [
            {"example": r.name, "path": r.span.path, "line": r.span.line, "failures": [m for m, _ in r.failures],
             "explanations": list(r.explanations)} for r in failed]}
        if coverage:
            data["coverage"] = [c.to_json() for c in report.coverage]
        _echo_json(data)
    else:
        for path, rs in report.results:
            click.echo(f"{path}: {sum(r.passed for r in rs)}/{len(rs)} examples pass")
        for r in failed:
            for diag, text in zip(r.diagnostics(), r.explanations):
                click.echo(render(diag, report.sources) + "\n" + textwrap.indent(text, "    "), err=True)
        for c in report.coverage:
            click.echo(coverage_text(c))
        click.echo(f"{report.total - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("rulebook")
@click.option("--stage", type=click.Choice(["ast", "plan", "sql"]), default="plan", show_default=True)
@handle_errors
def show(rulebook, stage):
    """Print a stage of the pipeline for a rulebook: the parsed rules, the strata, or the SQL."""
    from .show import show as show_stage

    click.echo(show_stage(api.load_rulebook(rulebook), stage), nl=False)


@main.command("fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing the files that would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of the changes.")
def fmt(paths, check, show_diff):
    """Lay out rulebooks in the canonical form, in place (folders: every *.rules inside); comments are kept.
    A file that cannot be read or does not parse is reported and left unchanged (exit 2)."""
    from .diagnostics import WarrantError
    from .syntax.format import FormatError, format_file

    status, changed = 0, []
    for path in api.rulebook_paths(list(paths)):
        try:
            result = format_file(path)
        except (WarrantError, FormatError) as exc:
            click.echo(render_all(exc.diagnostics, exc.sources) if isinstance(exc, WarrantError) else f"error: {exc}",
                       err=True, nl=isinstance(exc, FormatError))
            status = 2
            continue
        if show_diff:
            click.echo(result.diff(), nl=False)
        if result.changed:
            changed.append(path)
            click.echo(f"would reformat {path}" if check or show_diff else f"reformatted {path}", err=True)
            if not (check or show_diff):
                result.write()
    click.echo(f"{len(changed)} file(s) {'would be ' if check or show_diff else ''}reformatted", err=True)
    sys.exit(status or int(check and bool(changed)))


@main.command()
def lsp():
    """Start the language server for editors (diagnostics, hover, definition, completion) on stdin/stdout."""
    try:
        from .lsp.server import serve
    except ImportError:
        _fail("error: the language server needs pygls; install it with: pip install 'warrant[lsp]'")
    serve()


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; anything but the loopback lets other machines read the case.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on (0: any free port).")
@handle_errors
def serve(db, host, port):
    """Browse the case file in a web browser: a local, read-only workbench (prints its URL; Ctrl-C stops it).
    It reads as the --as principal, and records each page view in the audit log."""
    try:
        from .workbench.server import serve as run_server
    except ImportError:
        _fail("error: the workbench needs Starlette, Jinja2 and uvicorn; install them with: pip install 'warrant[web]'")
    try:
        run_server(db, host, port, say=lambda line: click.echo(line, err=line.startswith("warning")),
                   as_principal=click.get_current_context().find_root().params.get("as_principal"))
    except OSError as exc:
        _fail(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}")


@main.command()
@db_option
@json_option
@handle_errors
def runs(db, as_json):
    """List the runs stored in the case file."""
    with _case(db) as case:
        listed = case.runs()
    if as_json:
        _echo_json(listed)
        return
    for r in listed:
        counts = ", ".join(f"{n} {p}" for p, n in sorted(r["counts"].items()))
        click.echo(f"{r['id']}  {r['rulebook']} {r['version']}  {clocks_text(r['as_of'], r['known_at'])}  ({counts})")


FORMATS = ("text", "json", "dot", "svg", "pdf", "png", "md", "html")
format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                             help="How to render the answer.")


def _emit(obj, fmt: str, output: str | None, case=None) -> None:
    """Write a rendered proof or why-not to a file, or to stdout (binary formats need -o); with `case`,
    the proof's court view (names from that case file)."""
    from .proof import api as proof_api

    _binary_needs_file(fmt, output)
    text = case.court(obj, fmt) if case else proof_api.render(obj, fmt, color=fmt == "text" and sys.stdout.isatty())
    _write_out(text, output)


def _binary_needs_file(fmt: str, output: str | None) -> None:
    if fmt in ("pdf", "png") and not output:
        _fail(f"error: --format {fmt} is binary; give a file with -o FILE")


def _write_out(data: str | bytes, output: str | None, note: str = "") -> None:
    """Rendered data to the file `output` (saying so on stderr, with `note`), or to stdout."""
    from .proof import api as proof_api

    if output:
        proof_api.write_data(data, output)
        click.echo(f"wrote {output}{note}", err=True)
    else:
        click.echo(data, nl=False)



@main.command()
@click.argument("atom", required=False)
@click.option("--all", "all_pred", default=None, metavar="PREDICATE", help="Write one proof per fact of PREDICATE to -o DIR.")
@format_option
@click.option("-o", "--output", "--out", default=None, help="A file (a folder with --all).")
@click.option("--court/--analyst", default=False, show_default=True,
              help="The court view (plain words, names, citations, numbered exhibits; --format pdf is the court "
                   "exhibit) or the analyst view (every detail).")
@db_option
@run_option
@point_options
@handle_errors
def why(atom, all_pred, fmt, output, court, db, run_id, rulebook, as_of, known_at):
    """Show why a fact holds, e.g. warrant why 'blocked("A")'."""
    from .proof import api as proof_api

    with _case(db) as case:
        if all_pred:
            if not output:
                _fail("error: --all needs -o DIR, the folder to write the proofs to")
            if rulebook:
                _fail("error: --all reads a stored run: run the rulebook first (warrant run RULEBOOK)")
            proofs = case.why_all(all_pred, run_id)
            for proof in proofs:
                root = proof.nodes[proof.root]
                name = proof_api.file_name(proof_api.GroundAtom(root.predicate, tuple(root.args)), fmt)
                path = f"{output}/{name}"
                if court:
                    proof_api.write_data(case.court(proof, fmt), path)
                else:
                    proof_api.write(_readable(case, proof, fmt), fmt, path)
            click.echo(f"wrote {len(proofs)} proof(s) of {all_pred} to {output}/", err=True)
            return
        if not atom:
            _fail("error: give a fact such as 'blocked(\"A\")', or --all PREDICATE -o DIR")
        proof = case.why(atom, run_id, **_point(rulebook, run_id, as_of, known_at))
        _emit(proof if court else _readable(case, proof, fmt), fmt, output, case if court else None)


def _readable(case, proof, fmt: str):
    """The proof or why-not with entity names beside ids, except as JSON (data carries ids alone)."""
    return proof if fmt == "json" else case.named(proof)


@main.command()
@click.argument("atom")
@format_option
@click.option("-o", "--output", default=None, help="Write to this file.")
@click.option("--depth", default=3, show_default=True, help="How many levels of failed subgoals to follow.")
@db_option
@run_option
@point_options
@handle_errors
def whynot(atom, fmt, output, depth, db, run_id, rulebook, as_of, known_at):
    """Show why a fact does not hold, rule by rule, e.g. warrant whynot 'blocked("C")'."""
    with _case(db) as case:
        answer = case.whynot(atom, run_id, depth, **_point(rulebook, run_id, as_of, known_at))
        _emit(_readable(case, answer, fmt), fmt, output)


@main.command()
@click.argument("atom")
@click.option("-o", "--output", required=True, help="The bundle folder to write.")
@click.option("--sign", is_flag=True, help="Sign the bundle's manifest with the agency key (manifest.sig).")
@keys_option
@db_option
@run_option
@handle_errors
def export(atom, output, sign, keys_dir, db, run_id):
    """Write a self-contained, verifiable bundle for one conclusion, with the audit log's latest checkpoint."""
    from .audit.keys import load_key

    with _case(db) as case:
        key = load_key(keys_dir) if sign else None
        manifest = case.export(atom, output, run_id, key=key)
    signed = f", signed by {key.agency}" if key else ""
    click.echo(f"wrote bundle {output} (manifest {manifest}{signed}); check it anywhere with: "
               f"warrant verify-proof {output}{' --trust PATH' if key else ''}")


@main.command("verify-proof")
@click.argument("path")
@click.option("--db", default=None, help="Also check against this case file (needed for a proof JSON file).")
@trust_option
@json_option
@handle_errors
def verify_proof(path, db, trust, as_json):
    """Check a bundle folder (or a proof JSON with --db) step by step: prints "valid" or the first bad step,
    then what was not verified. With a trust store, a bundle must be signed by a key it trusts, and the
    verdict names the issuer (exit 1 if it is not valid as issued)."""
    from .audit.bundle_reader import read_proof_file

    if not Path(path).exists():
        _fail(f"error: no such bundle folder or proof file: {path}")
    if Path(path).is_dir():
        store = _trust(trust)
        if db is None:
            verdict = api.verify_bundle(path, trust=store)
        else:
            with _case(db) as case:
                verdict = api.verify_bundle(path, against=case.verify_proof, trust=store)
    else:
        if db is None:
            _fail("error: a proof file alone cannot be checked; give the bundle folder, or --db CASE_FILE")
        proof = read_proof_file(path)
        with _case(db) as case:
            verdict = case.verify_proof(proof)
    if as_json:
        _echo_json(verdict.__dict__)
    else:
        click.echo(str(verdict))
    sys.exit(0 if verdict.valid else 1)


@main.command("view-bundle")
@click.argument("folder")
@format_option
@click.option("-o", "--output", default=None, help="Write to this file (needed for pdf and png).")
@click.option("--court/--analyst", default=False,
              help="The court view (plain words, names, citations, numbered exhibits; pdf: the court exhibit) "
                   "or the analyst view with every detail (default).")
@trust_option
@handle_errors
def view_bundle(folder, fmt, output, court, trust):
    """Show the proof of a bundle folder, with the names it carries, after verifying it (as verify-proof):
    what a reviewer who received the bundle, without the case file, reads. A bundle that is not valid is not
    shown: its verdict is printed instead (exit 1)."""
    from .proof import api as proof_api
    from .proof.names import with_names

    if not Path(folder).is_dir():
        _fail(f"error: no such bundle folder: {folder}")
    verdict, proof, names = api.verified_proof(folder, trust=_trust(trust))
    if proof is None:
        click.echo(str(verdict), err=True)
        sys.exit(1)
    _binary_needs_file(fmt, output)
    if fmt == "json" and court:
        _fail("error: the court view is for reading; as json the proof is proof.json itself")
    shown = proof_api.render(proof, fmt, court=True, names=names) if court else \
        proof_api.render(proof if fmt == "json" else with_names(proof, names), fmt)
    _write_out(shown, output, f" (the bundle verified: {str(verdict).splitlines()[0]})")


@main.command()
@click.argument("record_hash", metavar="HASH")
@click.option("--db", default=None, help="The case file to look in (default: case.db).")
@click.option("--bundle", "bundle_dir", default=None, metavar="DIR", help="Look in this bundle's evidence.json instead.")
@json_option
@handle_errors
def record(record_hash, db, bundle_dir, as_json):
    """Show the evidence record with this hash (or a unique prefix of 12+ hex digits, sha256: optional):
    its values, source, grade in words, document, dates, jurisdiction and marking. Read-only."""
    from .audit.record_lookup import text

    if db is not None and bundle_dir is not None:
        _fail("error: give --db CASE or --bundle DIR, not both")
    if bundle_dir is not None:
        found = api.record_in_bundle(bundle_dir, record_hash)
    else:
        with _case(db or "case.db") as case:
            found = case.record(record_hash)
    _echo_json(found) if as_json else click.echo(text(found))


@main.command()
@click.argument("run_a")
@click.argument("run_b")
@db_option
@json_option
@handle_errors
def diff(run_a, run_b, db, as_json):
    """Conclusions gained and lost from RUN_A to RUN_B, and the evidence or rule change behind each."""
    with _case(db) as case:
        result = case.diff(run_a, run_b)
    if as_json:
        _echo_json(result.to_json())
        return
    for line in result.rule_changes:
        click.echo(f"rules: {line}")
    for change in result.changes:
        click.echo(f"{'+' if change.gained else '-'} {change.atom}")
        for reason in change.reasons:
            click.echo(f"    {reason}")
    if not result.changes:
        click.echo(f"no conclusion differs between {run_a} and {run_b}")


@main.command()
@click.option("--since", default=None, help="Compare with this run (default: each rulebook's run before its latest).")
@db_option
@json_option
@handle_errors
def alerts(since, db, as_json):
    """Conclusions gained or lost at each rulebook's latest run, with a reason each (exit 1 when any)."""
    with _case(db) as case:
        found = case.alerts(since)
    if as_json:
        _echo_json([a.to_json() for a in found])
    else:
        for alert in found:
            click.echo(alert.text())
        if not found:
            click.echo("no conclusion changed at the latest runs", err=True)
    sys.exit(1 if found else 0)


@main.command()
@click.argument("run_id")
@click.option("--proofs", type=click.Choice(["auto", "all", "none"]), default="auto", show_default=True,
              help="auto: proofs are rebuilt and compared when the facts differ (with identical facts they are "
                   "identical by construction); all: rebuild and compare every conclusion's proof; none: facts only.")
@db_option
@json_option
@handle_errors
def replay(run_id, proofs, db, as_json):
    """Recompute a past run and confirm it is reproduced exactly (exit 1 if not)."""
    with _case(db) as case:
        report = case.replay(run_id, proofs)
    if as_json:
        _echo_json({"run_id": report.run_id, "identical": report.identical, "facts_sha256": report.facts_sha256,
                    "facts_differing": list(report.diff.differing),
                    "only_in_stored": report.diff.only_a, "only_in_replay": report.diff.only_b,
                    "conclusions": report.conclusions, "proofs": proofs, "proofs_compared": report.proofs_compared,
                    "proofs_differing": list(report.proofs_differing),
                    "proofs_differing_total": report.proofs_differing_total})
    elif report.identical:
        click.echo(f"{run_id} reproduced exactly: every fact with its round and rule (sha256 {report.facts_sha256}), "
                   + _replayed_proofs(report, proofs))
    else:
        _echo_replay_differences(report)
    sys.exit(0 if report.identical else 1)


def _replayed_proofs(report, proofs: str) -> str:
    n = report.conclusions
    if proofs == "all":
        return f"and the proofs of its {report.proofs_compared} conclusion(s) rebuilt and compared byte for byte"
    if proofs == "none":
        return f"for its {n} conclusion(s); proofs not compared"
    return (f"so the proofs of its {n} conclusion(s), built from these facts, are identical byte for byte "
            "(--proofs all rebuilds and compares each)")


def _echo_replay_differences(report) -> None:
    from .audit.replay import LIST_LIMIT

    click.echo(f"{report.run_id} NOT reproduced:", err=True)
    for side, label in ((report.diff.only_a, "stored only:  "), (report.diff.only_b, "replayed only:")):
        for pred, rows in side.items():
            for row in rows:
                click.echo(f"  {label} {pred}{row}", err=True)
            if len(rows) >= LIST_LIMIT:
                click.echo(f"  ({label.strip(' :')}: the first {LIST_LIMIT} rows of {pred} shown)", err=True)
    for pred in report.diff.differing:
        if not report.diff.only_a.get(pred) and not report.diff.only_b.get(pred):
            click.echo(f"  facts of {pred} differ: equal to SQL, not byte for byte (a -0.0, a repeated row)", err=True)
    for atom in report.proofs_differing:
        click.echo(f"  proof differs: {atom}", err=True)
    if report.proofs_differing_total > len(report.proofs_differing):
        click.echo(f"  and {report.proofs_differing_total - len(report.proofs_differing)} more proof(s) differ", err=True)


@main.command()
@click.option("-o", "--output", required=True, help="The folder to write the report to.")
@click.option("--run", "run_ids", multiple=True, help="Runs to render in full (default: the latest run).")
@click.option("--title", default="Case report", show_default=True)
@db_option
@handle_errors
def report(output, run_ids, title, db):
    """Write a case report: every run summarised, and each conclusion of the chosen runs with its proof
    (exit 1 if a proof could not be rendered: the report names it, the rest is written)."""
    from .report import write_report

    failures: list[str] = []
    with _case(db) as case:
        index = write_report(case, output, list(run_ids) or [case.latest_run()], title, on_failure=failures.append)
    for failure in failures:
        click.echo(f"warning: {failure}", err=True)
    click.echo(f"wrote {index}" + (f" ({len(failures)} proof file(s) could not be rendered)" if failures else ""))
    sys.exit(1 if failures else 0)


@main.group()
def audit():
    """Inspect and verify the case file's audit log."""


@audit.command("verify")
@db_option
@trust_option
@click.option("--checkpoint", "files", multiple=True, metavar="FILE",
              help="Also check the log against this checkpoint file (audit checkpoint -o, or a bundle's checkpoint.json).")
@json_option
@handle_errors
def audit_verify(db, trust, files, as_json):
    """Check the hash chain and every checkpoint (its signature, and that the log still holds the entry it
    anchors); exit 1 naming the first bad entry, or entries cut off after a checkpoint."""
    from .audit.checkpoints import read_file

    store, docs = _trust(trust), [(f"checkpoint file {f}", read_file(f)) for f in files]
    with _case(db) as case:
        report = case.verify_anchors(store, docs)
    chain = report.chain
    if as_json:
        _echo_json(report.to_json())
        sys.exit(0 if report.ok else 1)
    if chain.ok:
        click.echo(f"audit log {'intact' if report.ok else 'hash chain intact'}: {chain.entries} entries, head {chain.head}")
    else:
        click.echo(f"audit log BROKEN at entry {chain.first_bad}: {chain.reason}", err=True)
    for finding in report.findings:
        click.echo(f"audit log BROKEN: {finding}", err=True)
    for line in report.lines:
        click.echo(line)
    sys.exit(0 if report.ok else 1)


@audit.command("checkpoint")
@db_option
@keys_option
@click.option("-o", "--output", default=None, metavar="FILE", help="Also write the checkpoint to this file.")
@handle_errors
def audit_checkpoint(db, keys_dir, output):
    """Sign the head of the audit log with the agency key and store the checkpoint in the case file: entries
    later cut off the log's end are then noticed by `audit verify` (exit 1 if the chain is already broken)."""
    from .audit.checkpoints import dumps
    from .audit.keys import load_key

    with _case(db) as case:
        key = load_key(keys_dir)
        chain = case.verify_audit()
        if not chain.ok:
            _fail(f"audit log BROKEN at entry {chain.first_bad}: {chain.reason}; no checkpoint was signed", 1)
        number, doc = case.checkpoint(key)
    if output:
        Path(output).write_text(dumps(doc), encoding="utf-8")
    click.echo(f"checkpoint {number}: {key.agency} signed entry {doc['seq']} (hash {doc['hash']}) at {doc['at']}"
               + (f"; wrote {output}: keep it with the case papers" if output else ""))


@main.command()
@click.option("--from", "source", required=True, metavar="CASE_FILE", help="The case file to copy.")
@click.option("--to", "target", required=True, metavar="URL",
              help="An empty PostgreSQL database, as postgresql://USER@HOST/DB.")
@json_option
@handle_errors
def migrate(source, target, as_json):
    """Copy a case file whole (evidence, runs, audit log) into an empty PostgreSQL database, all or nothing;
    the case file is only read. Exit 1 if the audit chain does not verify on the other side."""
    root = click.get_current_context().find_root().params
    report = api.migrate_case(source, target, actor=root.get("actor"))
    if as_json:
        _echo_json(report.to_json())
    else:
        chain = report.chain
        click.echo(f"copied {source} to {report.target}: {len(report.rows)} tables, {sum(report.rows.values())} rows; "
                   f"audit log {'intact' if chain.ok else 'BROKEN'}: {chain.entries} entries, head {chain.head}")
    sys.exit(0 if report.chain.ok else 1)


@main.group()
def keys():
    """Make and export the agency's signing key (for signed bundles and audit checkpoints)."""


@keys.command("init")
@click.option("--agency", required=True, help="The agency's name, as partners will see it (e.g. UK-OFSI).")
@keys_option
@handle_errors
def keys_init(agency, keys_dir):
    """Make the agency's Ed25519 key pair in the key folder (the private key readable by you only); an
    existing key is never overwritten."""
    from .audit.keys import PRIVATE, init_keys, key_folder

    key = init_keys(agency, keys_dir)
    folder = key_folder(keys_dir)
    click.echo(f"made the signing key of {key.agency} in {folder} (fingerprint {key.entry.fingerprint});\n"
               f"keep {folder / PRIVATE} secret and backed up; give partners the output of: warrant keys export")


@keys.command("export")
@keys_option
@handle_errors
def keys_export(keys_dir):
    """Print the agency's public key as a trust-store entry, for partners to add to their trust store."""
    from .audit.keys import load_key

    click.echo(load_key(keys_dir).entry.to_json(), nl=False)


@audit.command("log")
@db_option
@json_option
@click.option("--action", default=None, help="Only this action (evidence.load, rulebook.register, run, view.why, ...).")
@click.option("--entity", default=None, help="Only entries whose subject contains this text.")
@click.option("--actor", "who", default=None, help="Only entries by this actor.")
@click.option("--since", default=None, help="Only entries at or after this ISO date/time.")
@click.option("--until", default=None, help="Only entries at or before this ISO date/time.")
@handle_errors
def audit_log(db, as_json, action, entity, who, since, until):
    """List audit entries, oldest first."""
    with _case(db) as case:
        found = case.audit_entries(action=action, entity=entity, actor=who, since=since, until=until)
    if as_json:
        _echo_json([e.to_json() for e in found])
        return
    for e in found:
        who = e.details.get("principal")
        actor = f"{e.actor} as {who}" if who and who != "owner" else e.actor
        click.echo(f"{e.seq:>5}  {e.at}  {actor:<12} {e.action:<18} {e.entity or ''}")


from . import cli_access  # noqa: E402,F401  (registers the principal and markings commands)

if __name__ == "__main__":
    main()
