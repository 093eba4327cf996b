"""The `warrant principal` and `warrant markings` commands: who the case file knows, and its marking scheme."""

from __future__ import annotations

import click

from .cli import _case, _echo_json, _fail, _trust, db_option, handle_errors, import_group, json_option, main, trust_option


@main.group()
def principal():
    """The users and partner agencies of a case file, with their clearance and nationality."""


@principal.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(["user", "agency"]), default="user", show_default=True,
              help="A user of this agency, or a partner agency (which never sees LOCAL ONLY records).")
@click.option("--clearance", required=True, help="A level of the case file's scheme, e.g. SECRET.")
@click.option("--nationality", required=True, help="The nationality or agency code REL TO lists name, e.g. UK.")
@click.option("--caveats", default=None, help="Handling caveats held, comma-separated, e.g. ORCON.")
@click.option("--access", type=click.Choice(["reader", "writer", "owner"]), default=None,
              help="PostgreSQL: what its database role may do (default: reader); see docs/teams.md.")
@click.option("--role", default=None, help="PostgreSQL: its login role, made when missing (default: its name).")
@db_option
@json_option
@handle_errors
def principal_add(name, kind, clearance, nationality, caveats, access, role, db, as_json):
    """Add a principal (only the owner may); on PostgreSQL also a database role."""
    with _case(db, create=True) as case:
        added = case.add_principal(name, kind, clearance, nationality, caveats, access, role)
        linked = case.principal_roles().get(name)
    if as_json:
        _echo_json(added.to_json() | ({"role": linked.role, "access": linked.access} if linked else {}))
    else:
        click.echo(f"added {added.describe()}" + (f", database role {linked.role} ({linked.access})" if linked else ""))


@principal.command("list")
@db_option
@json_option
@handle_errors
def principal_list(db, as_json):
    """List the case file's principals (the owner, who sees everything, is always there)."""
    with _case(db) as case:
        found, roles = case.principals(), case.principal_roles()
    if as_json:
        _echo_json([p.to_json() | ({"role": r.role, "access": r.access} if (r := roles.get(p.name)) else {})
                    for p in found])
        return
    click.echo("owner (the case file's owner: sees everything)")
    for p in found:
        click.echo(p.describe() + (f", database role {r.role} ({r.access})" if (r := roles.get(p.name)) else ""))


@main.group()
def markings():
    """The case file's classification scheme."""


@markings.command("show")
@db_option
@json_option
@handle_errors
def markings_show(db, as_json):
    """Print the scheme's levels, lowest first, and the level of a record without a marking."""
    with _case(db) as case:
        scheme = case.scheme
    if as_json:
        _echo_json(scheme.to_json())
    else:
        click.echo(f"{scheme.order_text()} (a record without a marking: {scheme.default})")


@markings.command("scheme")
@click.option("--preset", type=click.Choice(["default", "tlp"]), default=None,
              help="default: OFFICIAL < SECRET < TOP SECRET; tlp: the Traffic Light Protocol.")
@click.option("--levels", default=None, help="Your own levels, lowest first, comma-separated.")
@click.option("--default", "default_level", default=None, help="The level of a record without a marking "
              "(default: the lowest).")
@db_option
@handle_errors
def markings_scheme(preset, levels, default_level, db):
    """Choose the case file's classification levels (only the owner may)."""
    with _case(db, create=True) as case:
        if (preset is None) == (levels is None):
            _fail("error: give either --preset or --levels")
        from .access.markings import PRESETS

        scheme = case.set_scheme(PRESETS[preset] if preset else levels.split(","), default_level)
    click.echo(f"scheme: {scheme.order_text()} (a record without a marking: {scheme.default})")


@import_group.command("bundle")
@click.argument("folder")
@click.argument("rulebook")
@trust_option
@click.option("--reliability", default="B", show_default=True, help="Your grading of the partner as a source (A-F).")
@click.option("--credibility", default=2, show_default=True, type=click.IntRange(1, 6),
              help="Your grading of its assessment (1-6).")
@click.option("--classification", default=None, help="The marking of its records, e.g. SECRET (default: the "
              "scheme's default level).")
@click.option("--releasability", default=None, help="REL TO partners, or LOCAL ONLY.")
@click.option("--caveats", default=None, help="Handling caveats, comma-separated.")
@click.option("--conclusion-as", default=None, metavar="PREDICATE",
              help="The evidence predicate that takes the partner's conclusion (default: its own name); one more "
                   "column than the conclusion takes the issuing agency.")
@click.option("--recorded-at", default=None, help="When the case file is taken to have received these records.")
@db_option
@json_option
@handle_errors
def import_bundle(folder, rulebook, trust, reliability, credibility, classification, releasability, caveats,
                  conclusion_as, recorded_at, db, as_json):
    """Take a partner state's signed bundle as evidence: verified against the trust store first, then its
    conclusion and the records its proof cites are recorded with the partner agency as their source."""
    from . import api
    from .access.partner import PartnerTerms

    terms = PartnerTerms(reliability, credibility, classification, releasability, caveats, conclusion_as)
    with _case(db, create=True) as case:
        found, report = case.import_bundle(folder, api.load_rulebook(rulebook), _trust(trust), terms, recorded_at)
    if as_json:
        _echo_json({**found.to_json(), "added": report.added, "duplicates": report.duplicates})
        return
    click.echo(f"{found.conclusion} as issued by {found.agency} (key {found.fingerprint[:19]}…, manifest "
               f"sha256:{found.manifest_sha256[:12]}…): {report.added} new records, {report.duplicates} already present")
    for predicate, rows in sorted(found.rows.items()):
        click.echo(f"  {predicate}: {len(rows)}")
    for reason in found.skipped:
        click.echo(f"  not taken: {reason}")
