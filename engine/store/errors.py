"""Load and store error codes, the located problems a load finds, and the errors that carry them."""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostic, WarrantError, error
from ..source import Span

# Stable codes: docs are generated from this table. Never renumber; add new codes at the end.
CODES: dict[str, tuple[str, str]] = {
    "L001": ("unknown predicate", "name the file after a declared evidence predicate: <predicate>.csv/.json/.jsonl"),
    "L002": ("missing column", "add the column; every declared column of the predicate is required"),
    "L003": ("extra column", "remove the column or declare it; metadata columns start with '_'"),
    "L004": ("wrong type", "give a value of the declared type"),
    "L005": ("bad date", "write dates as YYYY-MM-DD, a day that exists"),
    "L006": ("percent outside 0-100", "give a percentage between 0 and 100"),
    "L007": ("empty key", "give every entity column a non-empty identifier"),
    "L008": ("bad metadata value", "fix the metadata value: _credibility 1-6, dates YYYY-MM-DD, _action assert|retract"),
    "L009": ("malformed file", "fix the file's syntax: CSV with a header row, a JSON list of objects, or one JSON object per line"),
    "L010": ("bad manifest", "fix manifest.json: sources [{id, name, kind, ...}], files {name: {source, credibility, document}}"),
    "L011": ("unknown source", "declare the source in manifest.json's sources, or use one already in the case file"),
    "L012": ("source conflict", "a source id is recorded once; use a new id for a source with different details"),
    "L013": ("no facts folder", "give a folder holding <predicate>.csv/.json/.jsonl files"),
    "L016": ("number not exact", "give a whole number from -9223372036854775808 to 9223372036854775807, or a "
                                 "decimal of at most 15 significant digits"),
    "L017": ("bad marking", "give a classification level of the case file's scheme (warrant markings show), "
                            "REL TO partners or LOCAL ONLY, and caveats as a list of words; a row's marking may be "
                            "stricter than its file's, and a file's than its source's, never less strict"),
}

# The FtM import's own codes (warrant import ftm).
FTM_CODES: dict[str, tuple[str, str]] = {
    "F001": ("not an FtM entity", "give one JSON object per line: {\"id\": ..., \"schema\": ..., \"properties\": {...}}"),
    "F002": ("unknown FtM schema", "use a schema of the followthemoney model (Person, Company, Ownership, Sanction, ...)"),
    "F003": ("bad FtM property value", "fix the value in the source file: percentages 0-100 with the digits 0-9, dates YYYY[-MM[-DD]]"),
    "F004": ("FtM edge without an end", "give the edge both ends (Ownership: owner and asset; Control: controller and controlled; Sanction: entity)"),
    "F005": ("bad FtM mapping", "fix the mapping file (TOML); see docs/analyst-guide.md, \"Importing OpenSanctions data\""),
}

STORE_CODES: dict[str, tuple[str, str]] = {
    "S001": ("different declaration", "use a new case file, or the declaration the case file was made with"),
    "S002": ("bad date or time", "give --as-of, --known-at or --recorded-at as YYYY-MM-DD or an ISO timestamp"),
    "S003": ("not a case file", "open a case file made by warrant, or a new path"),
    "S004": ("no such case file", "load evidence first with `warrant load RULEBOOK FACTS --db PATH`, or check --db"),
    "S005": ("case file busy", "try again when the other command has finished, or wait longer: WARRANT_BUSY_TIMEOUT=SECONDS"),
    "S006": ("recorded in the future", "give --recorded-at as a moment that has passed (UTC unless it names an offset)"),
    "S008": ("target not empty", "migrate into a new, empty PostgreSQL database (createdb NAME)"),
    "S010": ("database collation", "make the case's database sorting text byte by byte: createdb --template=template0 "
                                   "--locale-provider=libc --locale=C.UTF-8 NAME (docs/teams.md)"),
    "S009": ("database server unreachable", "check the URL, and that the server runs and lets this user in: "
                                            "pg_isready -d URL; psql URL"),
    "S011": ("text PostgreSQL cannot hold", "remove the NUL character (U+0000) from the evidence or manifest, or "
                                            "keep the case in a case file"),
}


@dataclass(frozen=True)
class Problem:
    """One bad input: where it is, which column, the value found and why it is refused."""

    code: str
    file: str
    line: int
    col: int
    column: str | None
    value: object
    reason: str

    def diagnostic(self) -> Diagnostic:
        """This problem as a located diagnostic with a hint."""
        span = Span(self.file, self.line, self.col, self.line, self.col + 1)
        subject = f"{self.column} = {self.value!r}: " if self.column is not None else ""
        return error(self.code, f"{subject}{self.reason}", span, (CODES.get(self.code) or FTM_CODES[self.code])[1])


class LoadError(WarrantError):
    """A load was refused: nothing was stored. `problems` lists every bad row found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col, p.code))
        super().__init__([p.diagnostic() for p in self.problems])


def store_error(code: str, message: str) -> WarrantError:
    """A WarrantError about the case file itself (not located in a source file)."""
    return WarrantError(error(code, message, None, STORE_CODES[code][1]))
