"""Database roles of a case on PostgreSQL: each principal is a login role, a member of one of the case's three
group roles (NOLOGIN), and the database itself refuses what that role may not do.

- `owner`: reads everything, adds principals, changes the scheme (as the case file's owner does).
- `writer`: reads everything, loads evidence and runs rulebooks (INSERT; UPDATE only of the tables a load
  upserts); never UPDATE, DELETE or TRUNCATE of evidence, runs or the audit log.
- `reader`: SELECT of what its markings allow, and INSERT into the audit log (its reads are logged there);
  evidence rows are filtered by row-level security with the same rule as `Principal.may_see`, so a reader
  connected with psql sees the records the application would show it, and no others. It cannot read the
  facts of runs (which may hold values computed from withheld records) nor the commitment salts.

The group roles are named after the database (`warrant_<db>_reader`, ...): roles are shared by the whole
server, a case is one database. Grants and policies are applied to every table of the case that the
connected role owns (`secure`, run again after each load and run through `audit.immutable.protect`), since
a table a writer's load makes is owned by that writer; the writer then hands it to the owner group
(`warrant_adopt`), so that it cannot alter it afterwards.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace

from ..diagnostics import WarrantError, error
from ..store.backend import POSTGRES, dialect
from ..store.schema import quote
from . import markings, principals
from .markings import DEFAULT_LEVELS, MarkingError
from .principals import OWNER_NAME, Principal

ACCESS = ("reader", "writer", "owner")
LINKS = ("CREATE TABLE IF NOT EXISTS principal_roles (principal TEXT PRIMARY KEY, role TEXT NOT NULL UNIQUE, "
         "access TEXT NOT NULL)")
SALTS = "CREATE TABLE IF NOT EXISTS commitment_salts (key TEXT PRIMARY KEY, salt BYTEA NOT NULL)"
_MARKED = re.compile(r"^ev_[a-z][a-z0-9_]*$")  # tables whose rows carry a record's marking (_hash, _source)
_APPEND_ONLY = re.compile(r"^(audit_log|audit_checkpoints|runs|run_rulebooks|run_clocks|run_lineage|loads|rulebooks"
                          r"|fact_[a-z][a-z0-9_]*|ev_[a-z][a-z0-9_]*)$")
_NOT_FOR_READERS = re.compile(r"^(commitment_salts|fact_[a-z][a-z0-9_]*)$")
_OWNER_KEPT = {"meta": ("SELECT",), "principals": ("SELECT",), "principal_roles": ("SELECT",),
               "sources": ("SELECT", "INSERT")}  # what a writer may do with them
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")
ADOPT = """CREATE OR REPLACE FUNCTION {schema}.warrant_adopt() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    DECLARE t regclass;
    BEGIN
      FOR t IN SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = '{schema}'::regnamespace
               AND c.relkind IN ('r', 'p') AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = session_user)
      LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %s', t, '{owner}');
      END LOOP;
    END $$"""  # a writer's tables handed to the owner group, made a member of each writer's role for this
MARKING_KEY = "json_build_array(classification, releasability, caveats)::text"  # a stored marking as one value
UNMARKED = "json_build_array(NULL::text, NULL::text, NULL::text)::text"  # a record of no recorded source
_GROUPS_KEY = "postgres_roles"  # meta: the case's group roles, by access
_PARTNER = f"^{markings._PARTNER.pattern}$"  # a partner's code or a caveat, as a PostgreSQL pattern


@dataclass(frozen=True)
class Link:
    """A principal's login role and the group it is a member of."""

    principal: str
    role: str
    access: str


def group_roles(conn) -> dict[str, str]:
    """The case's group role of each access: as the case records them (a case restored into a database of
    another name keeps its groups), else named after the database, at most 63 bytes each."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [_GROUPS_KEY]).fetchone()
    if row is not None:
        return json.loads(row[0])
    db = conn.execute("SELECT current_database()").fetchone()[0]
    stem = db if len(f"warrant_{db}_writer".encode()) <= 63 else hashlib.sha256(db.encode()).hexdigest()[:16]
    return {access: f"warrant_{stem}_{access}" for access in ACCESS}


def groups_made(conn) -> bool:
    """Whether the case's group roles exist (set up by the first `principal add`)."""
    return _role_exists(conn, group_roles(conn)["reader"])


def _role_exists(conn, role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", [role]).fetchone() is not None


def link(conn, principal: str, access: str, role: str | None) -> Link:
    """Make `principal` a database role (inside the caller's transaction): its login role `role` (default: the
    principal's name), made (LOGIN, no password: the server's administrator sets one) when missing and linked when it exists, becomes a member of the
    case's group for `access`; the groups, grants and policies are made first when the case has none.
    MarkingError (A001) for a bad access or a role name taken; A003 when the server refuses the connected role."""
    if access not in ACCESS:
        raise MarkingError(f"{access!r} is not a kind of access", "give --access reader, writer or owner")
    login = principal if role is None else role
    if not _ROLE_NAME.fullmatch(login):
        raise MarkingError(f"{login!r} cannot name a database role", "give --role a name of letters, digits and _ "
                           "(at most 63 characters)")
    groups = group_roles(conn)
    if login in groups.values():
        raise MarkingError(f"{login!r} is one of the case's group roles", "give --role a login role of its own")
    conn.execute(LINKS)
    taken = conn.execute("SELECT principal FROM principal_roles WHERE role = ?", [login]).fetchone()
    if taken:
        raise MarkingError(f"the database role {login!r} is already principal {taken[0]!r}",
                           "give --role another login role: one role is one principal")
    _guarded(conn, lambda: _grant(conn, groups, login, access))
    conn.execute("INSERT INTO principal_roles (principal, role, access) VALUES (?, ?, ?)", [principal, login, access])
    return Link(principal, login, access)


def _grant(conn, groups: dict[str, str], login: str, access: str) -> None:
    setup(conn)
    found = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = ?", [login]).fetchone()
    if found is None:
        conn.execute(f"CREATE ROLE {quote(login)} LOGIN")
    elif found[0]:
        raise MarkingError(f"the database role {login!r} is a superuser, which no grant or policy holds back",
                           "give --role a role without SUPERUSER")
    conn.execute(f"GRANT {quote(groups[access])} TO {quote(login)}")
    if access == "writer":  # the owner group may take over the tables this role makes (`adopt`)
        conn.execute(f"GRANT {quote(login)} TO {quote(groups['owner'])}")


def _guarded(conn, action) -> None:
    """Run `action`; the server refusing the connected role (no CREATEROLE, not the tables' owner) is A003."""
    import psycopg

    try:
        action()
    except psycopg.errors.InsufficientPrivilege as exc:
        raise refused(exc, "add principals as the role that made the case, given CREATEROLE by the server's "
                           "administrator (createuser --createrole alice)") from None


def refused(exc, hint: str | None = None) -> WarrantError:
    """The error A003 of a statement the server refused the connected role (SQLSTATE 42501): its grants or
    the case's row-level security do not allow it."""
    message = exc.diag.message_primary or str(exc)
    return WarrantError(error("A003", f"the database refused this role: {message}", None, hint or
                              "this principal's role may not do that (docs/teams.md, Roles): ask the case's owner, "
                              "or connect as a role that may"))


def setup(conn) -> None:
    """The first time: the case's group roles (the connected role a member of the owner group) and their rights
    on the schema; the visibility functions as this version writes them, when the connected role owns them
    (or they are missing); the grants and policies of the tables the connected role owns."""
    made = conn.execute("SELECT to_regprocedure('warrant_may_see(text, text)') IS NOT NULL").fetchone()[0]
    groups = group_roles(conn)
    schema = quote(conn.execute("SELECT current_schema()").fetchone()[0])
    if not (made and groups_made(conn)):
        _make_groups(conn, groups, schema)
    if not made or conn.execute("SELECT pg_has_role(proowner, 'USAGE') FROM pg_proc "
                                "WHERE oid = to_regprocedure('warrant_may_see(text, text)')").fetchone()[0]:
        for statement in visibility_functions(schema):  # as this version of Warrant writes them
            conn.execute(statement)
        conn.execute(ADOPT.format(schema=schema.replace("'", "''"), owner=quote(groups["owner"]).replace("'", "''")))
        conn.execute(f"ALTER FUNCTION {schema}.warrant_adopt() OWNER TO {quote(groups['owner'])}")
        conn.execute(f"REVOKE ALL ON FUNCTION {schema}.warrant_adopt() FROM PUBLIC")
        conn.execute(f"GRANT EXECUTE ON FUNCTION {schema}.warrant_adopt() TO {quote(groups['writer'])}")
    secure(conn)


def _make_groups(conn, groups: dict[str, str], schema: str) -> None:
    for name in groups.values():
        if not _role_exists(conn, name):  # a database of the same name before this one may have left them
            conn.execute(f"CREATE ROLE {quote(name)} NOLOGIN")
    if not conn.execute("SELECT pg_has_role(?, 'MEMBER')", [groups["owner"]]).fetchone()[0]:
        conn.execute(f"GRANT {quote(groups['owner'])} TO CURRENT_USER")
    conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {', '.join(map(quote, groups.values()))}")
    conn.execute(f"GRANT CREATE ON SCHEMA {schema} TO {quote(groups['writer'])}, {quote(groups['owner'])}")
    conn.execute(LINKS)
    conn.execute(SALTS)  # made now: a reader's first redacted proof could not make it
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                 [_GROUPS_KEY, json.dumps(groups, sort_keys=True)])


def secure(conn) -> None:
    """Grant the case's groups their privileges on each table the connected role owns that has none yet, and
    put row-level security on the evidence tables among them. Nothing when the case has no group roles."""
    if dialect(conn) != POSTGRES or not groups_made(conn):
        return
    groups = group_roles(conn)
    schema = quote(conn.execute("SELECT current_schema()").fetchone()[0])
    tables = [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND pg_has_role(tableowner, 'USAGE') "
        "AND NOT has_table_privilege(?, format('%I.%I', schemaname, tablename), 'SELECT') ORDER BY tablename",
        [groups["writer"]])]
    for table in tables:
        for access, privileges in table_privileges(table).items():
            if privileges:
                conn.execute(f"GRANT {', '.join(privileges)} ON {quote(table)} TO {quote(groups[access])}")
        if _MARKED.match(table):
            conn.execute(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
            conn.execute(f"CREATE POLICY warrant_team ON {quote(table)} TO {quote(groups['owner'])}, "
                         f"{quote(groups['writer'])} USING (true) WITH CHECK (true)")
            conn.execute(f"CREATE POLICY warrant_marked ON {quote(table)} FOR SELECT TO {quote(groups['reader'])} "
                         f"USING ({visible_sql(schema, '_hash', '_source')})")
        if table == "audit_log":
            _sign_entries(conn, schema, groups)
    if tables and (mine := session_link(conn)) is not None and mine.access == "writer":
        conn.execute(f"SELECT {schema}.warrant_adopt()")  # no longer the writer's, to alter or unprotect


def _sign_entries(conn, schema: str, groups: dict[str, str]) -> None:
    """Row-level security on the audit log: everyone reads it whole; a reader or writer appends only entries
    in its own principal's name (the owner group, any)."""
    own = (f"(details::jsonb ->> 'principal') = (SELECT principal FROM {schema}.principal_roles "
           f"WHERE role = current_user)")
    conn.execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    conn.execute("CREATE POLICY warrant_read ON audit_log FOR SELECT USING (true)")
    conn.execute(f"CREATE POLICY warrant_owner ON audit_log FOR INSERT TO {quote(groups['owner'])} WITH CHECK (true)")
    conn.execute(f"CREATE POLICY warrant_own_name ON audit_log FOR INSERT TO {quote(groups['reader'])}, "
                 f"{quote(groups['writer'])} WITH CHECK ({own})")


def table_privileges(table: str) -> dict[str, tuple[str, ...]]:
    """What each group may do with `table`: nobody changes or removes a row of an append-only table; only an
    owner changes the scheme, the principals and the sources (which mark the records)."""
    if table == "audit_log":
        return dict.fromkeys(ACCESS, ("SELECT", "INSERT"))
    reader = () if _NOT_FOR_READERS.match(table) else ("SELECT",)
    if _APPEND_ONLY.match(table):
        return {"reader": reader, "writer": ("SELECT", "INSERT"), "owner": ("SELECT", "INSERT")}
    if table in _OWNER_KEPT:
        return {"reader": reader, "writer": _OWNER_KEPT[table], "owner": ("SELECT", "INSERT", "UPDATE", "DELETE")}
    return {"reader": reader, "writer": ("SELECT", "INSERT", "UPDATE"), "owner": ("SELECT", "INSERT", "UPDATE", "DELETE")}


def visibility_functions(schema: str) -> list[str]:
    """`warrant_sees(classification, releasability, caveats)`: whether the principal of the connected role may
    see a record of that marking (`Principal.may_see`: cleared to its level, released to it, holding every
    caveat; a marking the scheme refuses is seen by none); `warrant_may_see(hash, source)`: the same for a
    stored record, marked by its own marking, else its source's, else the scheme's default
    (`warrant_visible_markings`: the stored markings the principal may see, as keys). Every name is
    qualified with the case's schema, so that a temporary table cannot stand in for the principals."""
    default = json.dumps({"levels": list(DEFAULT_LEVELS), "default": DEFAULT_LEVELS[0]}).replace("'", "''")
    norm = "upper(regexp_replace(btrim({0}), '\\s+', ' ', 'g'))"
    rel, cls = norm.format("rel"), norm.format("cls")
    words = "(SELECT " + norm.format("w") + " AS w FROM regexp_split_to_table({0}, ',') AS w)"  # '' is one word
    partners = words.format("substr(" + rel + ", 8)")
    return [
        f"""CREATE OR REPLACE FUNCTION {schema}.warrant_sees(cls text, rel text, cav text) RETURNS boolean
        LANGUAGE sql STABLE AS $$
        WITH scheme AS (SELECT COALESCE((SELECT value::jsonb FROM {schema}.meta WHERE key = '{markings._SCHEME_KEY}'),
                                        '{default}'::jsonb) AS s),
             levels AS (SELECT l.name, l.rank FROM scheme, jsonb_array_elements_text(s->'levels')
                        WITH ORDINALITY AS l(name, rank)),
             me AS (SELECT p.kind, p.clearance, p.nationality, string_to_array(p.caveats, ',') AS held
                    FROM {schema}.principal_roles r JOIN {schema}.principals p ON p.name = r.principal
                    WHERE r.role = current_user)
        SELECT COALESCE((SELECT
            (SELECT rank FROM levels WHERE name = me.clearance)
              >= (SELECT rank FROM levels WHERE name = COALESCE({cls}, (SELECT s->>'default' FROM scheme)))
            AND CASE WHEN rel IS NULL THEN true
                     WHEN {rel} IN ('LOCAL ONLY', 'NOFORN') THEN me.kind = 'user'
                     WHEN {rel} LIKE 'REL TO %' THEN
                       NOT EXISTS (SELECT 1 FROM {partners} AS p WHERE p.w !~ '{_PARTNER}')
                       AND me.nationality IN (SELECT w FROM {partners} AS p)
                     ELSE false END
            AND (cav IS NULL OR NOT EXISTS (SELECT 1 FROM {words.format('cav')} AS c
                                            WHERE replace(c.w, ' ', '-') !~ '{_PARTNER}' OR NOT c.w = ANY(me.held)))
          FROM me), false)
        $$""",
        f"""CREATE OR REPLACE FUNCTION {schema}.warrant_visible_markings() RETURNS SETOF text
        LANGUAGE sql STABLE AS $$
        WITH m AS MATERIALIZED (  -- each distinct marking tested once
          SELECT {MARKING_KEY} AS key, classification, releasability, caveats FROM {schema}.record_markings
          UNION SELECT {MARKING_KEY}, classification, releasability, caveats FROM {schema}.sources
          UNION SELECT {UNMARKED}, NULL, NULL, NULL)
        SELECT key FROM m WHERE {schema}.warrant_sees(m.classification, m.releasability, m.caveats)
        $$""",
        f"""CREATE OR REPLACE FUNCTION {schema}.warrant_may_see(h text, src text) RETURNS boolean
        LANGUAGE sql STABLE AS $$ SELECT {visible_sql(schema, "h", "src")} $$""",
    ]


def visible_sql(schema: str, record: str, source: str) -> str:
    """The policy's test of a row: the marking it reads (its own, else its source's, else none: the scheme's
    default), as a key, is among the markings the connected principal may see, a set worked out once per
    statement. Written out rather than called: the server inlines no function holding a subquery."""
    return (f"COALESCE((SELECT {MARKING_KEY} FROM {schema}.record_markings WHERE hash = {record}), "
            f"(SELECT {MARKING_KEY} FROM {schema}.sources WHERE id = {source}), {UNMARKED}) "
            f"IN (SELECT {schema}.warrant_visible_markings())")


def session_link(conn) -> Link | None:
    """The principal the connected role is, None when it is none (the role that made the case: the owner)."""
    if dialect(conn) != POSTGRES or conn.execute("SELECT to_regclass('principal_roles')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT principal, role, access FROM principal_roles WHERE role = current_user").fetchone()
    return None if row is None else Link(*row)


def links(conn) -> dict[str, Link]:
    """Every principal's role, by principal name ({} on a case file, or before the first role)."""
    if dialect(conn) != POSTGRES or conn.execute("SELECT to_regclass('principal_roles')").fetchone()[0] is None:
        return {}
    return {r[0]: Link(*r) for r in conn.execute("SELECT principal, role, access FROM principal_roles ORDER BY principal")}


def session_principal(conn, name: str | None) -> Principal:
    """The principal a command on PostgreSQL acts as. A role that is no principal's (the one that made the case)
    acts as `name`, as on a case file, and so does one of the owner group (itself, seeing everything, when
    `name` is None or its own): an owner may read as another principal reads. Any other principal's role acts as
    that principal, and asking to act as another is A001."""
    mine = session_link(conn)
    if mine is None:
        return principals.find(conn, name)
    if mine.access == "owner":
        if name is None or name == mine.principal:
            return replace(principals.find(conn, mine.principal), owner=True)
        return principals.find(conn, name)
    if name is not None and name != mine.principal:
        raise MarkingError(f"connected as the database role {mine.role!r}, which is principal {mine.principal!r}, "
                           f"this command cannot act as {name!r}", f"leave out --as, or connect as {name}'s role")
    return principals.find(conn, mine.principal)
