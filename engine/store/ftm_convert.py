"""One FtM entity into Warrant evidence rows and an entity-name row, under a mapping (see ftm_mapping).

Every value is checked here with the store's own checkers, so a bad one is reported at the entity's
file:line with its id and property (F003); numbers and percentages are kept as the text the file gives,
and a percentage computed from sharesValue and the asset's capital is computed with `decimal`."""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from ..numbers import CONTEXT
from ..syntax.ast import Declaration
from .entity_names import Name
from .errors import LoadError, Problem
from .ftm_mapping import Edge, Mapping
from .ftm_model import InvalidData, model
from .ftm_read import Located
from .values import NUMBER_TEXT, TYPE_CHECKERS, Bad

NAME_PROPS = ("name",)
ALIAS_PROPS = ("alias", "weakAlias", "previousName")
COUNTRY_PROPS = ("country", "jurisdiction", "flag", "nationality")
REGISTRATION_PROPS = ("registrationNumber", "imoNumber", "idNumber", "leiCode", "ogrnCode", "innCode", "taxNumber")


@dataclass(frozen=True)
class Row:
    """An evidence record to load: its predicate, declared values (as text) and metadata."""

    predicate: str
    values: tuple[str, ...]
    source: str
    document: str
    valid_from: str | None = None
    valid_to: str | None = None


@dataclass
class Outcome:
    """What one entity gave: rows, a name, and the reasons for the parts of it that were not loaded."""

    rows: list[Row] = field(default_factory=list)
    name: Name | None = None
    skipped: list[str] = field(default_factory=list)
    deferred: int = 0  # Ownerships waiting for the asset's capital (see Converter.resolve)


@dataclass(frozen=True)
class Pending:
    """An Ownership without a percentage that has a sharesValue: resolved once the asset's capital is known."""

    holding: str
    owner: str
    asset: str
    shares_value: str
    row: Row


class Bounce(Exception):
    """A bad value in an entity: becomes a located problem."""

    def __init__(self, prop: str | None, value: object, reason: str, code: str = "F003"):
        super().__init__(reason)
        self.prop, self.value, self.reason, self.code = prop, value, reason, code


def _first_day(text: str) -> date:
    parts = text[:10].split("-")
    return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)


def _day_after(text: str) -> date:
    parts = text[:10].split("-")
    year = int(parts[0])
    if len(parts) == 1:
        return date(year + 1, 1, 1)
    month = int(parts[1])
    if len(parts) == 2:
        return date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=1)
    return date(year, month, int(parts[2])) + timedelta(days=1)


def ftm_date(value: str, prop: str, end: bool) -> str:
    """An FtM date (possibly partial: 2020, 2020-05) as a validity bound: a start is the first day of the
    period, an end (inclusive in FtM) the day after the period's last (Warrant's `_valid_to` is exclusive)."""
    try:
        return (_day_after(value) if end else _first_day(value)).isoformat()
    except (ValueError, IndexError):
        raise Bounce(prop, value, "expected an FtM date: YYYY, YYYY-MM or YYYY-MM-DD") from None


def percent_text(value: str, prop: str) -> str:
    """A percentage as given (exact text), checked to be a number from 0 to 100 without float arithmetic."""
    text = value.strip()
    if not NUMBER_TEXT.fullmatch(text):
        raise Bounce(prop, value, "expected a percentage written with the digits 0-9, such as 50 or 50.85")
    if not Decimal(0) <= Decimal(text) <= Decimal(100):
        raise Bounce(prop, value, "a percentage is between 0 and 100")
    return text


def computed_percent(shares_value: str, capital: str) -> str | None:
    """sharesValue / capital x 100 in decimal arithmetic as the rulebook language does it (engine/numbers.py:
    15 significant digits, half to even), as text; None when either is not a plain number, or the shares
    are negative or more than the capital."""
    try:
        part, whole = Decimal(shares_value.strip()), Decimal(capital.strip().split()[0])
    except (InvalidOperation, IndexError):
        return None
    if whole <= 0 or part < 0 or part > whole:
        return None
    share = CONTEXT.divide(CONTEXT.multiply(part, Decimal(100)), whole)
    return format(share.normalize(CONTEXT), "f")


class Converter:
    """Turns located FtM entities into evidence rows and names, for the evidence `declarations` declare (the
    evidence of the rulebook file named `rulebook`)."""

    def __init__(self, mapping: Mapping, declarations: dict[str, Declaration], rulebook: str):
        self.mapping, self.decls, self.rulebook = mapping, declarations, rulebook
        self.edges = {e.schema: e for e in mapping.edges}
        for edge in mapping.edges:
            decl = declarations.get(edge.evidence)
            if decl is not None and len(decl.columns) != len(edge.columns):
                raise LoadError([Problem("F005", mapping.path, 1, 1, "columns", edge.schema,
                                         f"edges: {edge.schema} gives {len(edge.columns)} columns, but evidence "
                                         f"{edge.evidence} has {len(decl.columns)}")])
        self.capital: dict[str, str] = {}
        self.pending: list[Pending] = []
        self.datasets: set[str] = set()

    def convert(self, item: Located, problems: list[Problem]) -> Outcome | None:
        """The entity's outcome; None (with a problem appended) when the entity is bad."""
        data = item.data
        schema = model.get(data["schema"])
        if schema is None:
            problems.append(Problem("F002", item.file, item.line, 1, "schema", data["schema"],
                                    f"entity {data['id']}: not an FtM schema"))
            return None
        try:
            proxy = model.get_proxy(data, cleaned=True)
            return self._convert(proxy, data)
        except Bounce as bad:
            problems.append(Problem(bad.code, item.file, item.line, 1, bad.prop, bad.value,
                                    f"entity {data['id']} ({schema.name}): {bad.reason}"))
        except InvalidData as exc:
            problems.append(Problem("F003", item.file, item.line, 1, None, None, f"entity {data['id']}: {exc}"))
        return None

    def _convert(self, proxy, data: dict) -> Outcome:
        out = Outcome()
        schema = proxy.schema
        dataset = self._dataset(data)
        urls = proxy.get("sourceUrl") if "sourceUrl" in schema.properties else []
        document = f"{proxy.id} {urls[0]}" if urls else proxy.id
        if schema.is_a("Thing") and proxy.get("name"):
            out.name = self._name(proxy)
            self._listings(proxy, data, document, out)
        if schema.name == "Company" and proxy.get("capital"):
            self.capital[proxy.id] = proxy.get("capital")[0]
        if schema.is_a("Sanction"):
            self._sanction(proxy, data, dataset, document, out)
        elif schema.is_a("Ownership"):
            self._ownership(proxy, dataset, document, out)
        elif schema.is_a("Control"):
            self._control(proxy, dataset, document, out)
        edge = self.edges.get(schema.name)
        if edge is not None:
            self._edge(edge, proxy, dataset, document, out)
        if not out.rows and out.name is None and not out.skipped and not out.deferred:
            out.skipped.append(f"{schema.name}: the mapping gives no evidence for this schema")
        return out

    def _dataset(self, data: dict) -> str:
        datasets = [d for d in data.get("datasets") or () if isinstance(d, str)]
        known = [d for d in datasets if d in self.mapping.sources or d in self.mapping.datasets]
        chosen = (known or datasets or ["unknown"])[0]
        self.datasets.add(chosen)
        return chosen

    def _window(self, proxy) -> tuple[str | None, str | None]:
        props = proxy.schema.properties
        starts = proxy.get("startDate") if "startDate" in props else []
        ends = proxy.get("endDate") if "endDate" in props else []
        start = ftm_date(min(starts), "startDate", end=False) if starts else None
        stop = ftm_date(max(ends), "endDate", end=True) if ends else None
        if start and stop and stop <= start:
            raise Bounce("endDate", max(ends), f"ends before it starts ({min(starts)})")
        return start, stop

    def _row(self, out: Outcome, predicate: str, values: tuple[str, ...], dataset: str, document: str,
             window: tuple[str | None, str | None] = (None, None)) -> None:
        decl = self.decls.get(predicate)
        if decl is None:
            out.skipped.append(f"evidence {predicate} is not declared in {self.rulebook}")
            return
        for column, value in zip(decl.columns, values):
            try:
                TYPE_CHECKERS[column.type](value)
            except Bad as bad:
                raise Bounce(column.name, value, f"{predicate}.{column.name}: {bad.reason}") from None
        self.datasets.add(dataset)
        out.rows.append(Row(predicate, values, self.mapping.source_id(dataset), document, *window))

    def _name(self, proxy) -> Name:
        def first(props: tuple[str, ...]) -> str:
            return next((v for p in props if p in proxy.schema.properties for v in proxy.get(p)), "")
        names = proxy.get("name")
        aliases = sorted({v for p in ALIAS_PROPS if p in proxy.schema.properties for v in proxy.get(p)}
                         | set(names[1:]))
        return Name(proxy.id, proxy.schema.name, names[0], tuple(aliases), first(COUNTRY_PROPS),
                    first(REGISTRATION_PROPS))

    def _listings(self, proxy, data: dict, document: str, out: Outcome) -> None:
        target = data["target"] is True if "target" in data else "sanction" in (proxy.get("topics") or [])
        if not target:
            return
        for dataset in data.get("datasets") or ():
            if dataset in self.mapping.datasets:
                self._row(out, "listed", (proxy.id, self.mapping.datasets[dataset]), dataset, document)

    def _sanction(self, proxy, data: dict, dataset: str, document: str, out: Outcome) -> None:
        entities = proxy.get("entity")
        if not entities:
            raise Bounce("entity", None, "a Sanction names the sanctioned entity", "F004")
        authority = " ".join(proxy.get("authority"))
        lst = self.mapping.list_of_authority(authority) if authority else None
        lst = lst or next((self.mapping.datasets[d] for d in data.get("datasets") or () if d in self.mapping.datasets), None)
        if lst is None:
            out.skipped.append(f"Sanction by {authority or 'an unnamed authority'}: no list in the mapping "
                               f"for that authority or dataset {dataset}")
            return
        window = self._window(proxy)
        for entity in entities:
            self._row(out, "listed", (entity, lst), dataset, document, window)
            for programme in proxy.get("program"):
                self._row(out, "listing_programme", (entity, lst, programme), dataset, document, window)

    def _ownership(self, proxy, dataset: str, document: str, out: Outcome) -> None:
        owners, assets = proxy.get("owner"), proxy.get("asset")
        if not owners or not assets:
            raise Bounce("owner" if not owners else "asset", None, "an Ownership names its owner and asset", "F004")
        key = self.mapping.holding_id
        ids = proxy.get(key) if key and key in proxy.schema.properties else []
        holding = ids[0] if ids else proxy.id
        window = self._window(proxy)
        percents = sorted({percent_text(p, "percentage") for p in proxy.get("percentage")})
        if len(percents) > 1:
            raise Bounce("percentage", percents, "one Ownership gives several percentages: split it into holdings")
        for owner, asset in itertools.product(owners, assets):
            if percents:
                self._row(out, "holding", (holding, owner, asset, percents[0]), dataset, document, window)
                continue
            unknown = Row("holding_size_unknown", (holding, owner, asset), self.mapping.source_id(dataset),
                          document, *window)
            values = proxy.get("sharesValue")
            if values and "holding_size_unknown" in self.decls:
                self.datasets.add(dataset)
                self.pending.append(Pending(holding, owner, asset, values[0], unknown))
                out.deferred += 1
            else:
                self._row(out, "holding_size_unknown", (holding, owner, asset), dataset, document, window)

    def resolve(self) -> list[Row]:
        """The pending Ownerships once every capital is known: holding with a computed percentage, else
        holding_size_unknown."""
        rows = []
        for p in self.pending:
            capital = self.capital.get(p.asset)
            share = computed_percent(p.shares_value, capital) if capital else None
            if share is None or "holding" not in self.decls:
                rows.append(p.row)
            else:
                r = p.row
                rows.append(Row("holding", (p.holding, p.owner, p.asset, share), r.source, r.document,
                                r.valid_from, r.valid_to))
        return rows

    def _control(self, proxy, dataset: str, document: str, out: Outcome) -> None:
        controllers, controlled = proxy.get("controller"), proxy.get("controlled")
        if not controllers or not controlled:
            raise Bounce("controller" if not controllers else "controlled", None,
                         "a Control names its controller and what it controls", "F004")
        kinds = proxy.get("controlType") or [""]
        bases = [self.mapping.control_basis[k] for k in kinds if k in self.mapping.control_basis]
        if not bases:
            out.skipped.append(f"Control of type {', '.join(kinds) or '(none)'}: no control basis in the mapping")
            return
        window = self._window(proxy)
        for a, b, basis in itertools.product(controllers, controlled, sorted(set(bases))):
            self._row(out, "controls", (a, b, basis), dataset, document, window)

    def _edge(self, edge: Edge, proxy, dataset: str, document: str, out: Outcome) -> None:
        decl = self.decls.get(edge.evidence)
        if decl is None:
            out.skipped.append(f"{edge.schema}: evidence {edge.evidence} is not declared in {self.rulebook}")
            return
        choices = []
        for column, (kind, spec) in zip(decl.columns, edge.columns):
            if kind == "id":
                choices.append([proxy.id])
            elif kind == "value":
                choices.append([spec])
            else:
                values = proxy.get(spec) if spec in proxy.schema.properties else []
                if not values and column.type in ("entity", "number", "percent", "date"):
                    out.skipped.append(f"{edge.schema} without {spec}: no {edge.evidence} record")
                    return
                choices.append(values or [""])
        window = self._window(proxy) if proxy.schema.is_a("Interval") else (None, None)
        for values in itertools.product(*choices):
            self._row(out, edge.evidence, tuple(values), dataset, document, window)
