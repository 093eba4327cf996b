"""The engine's exact arithmetic as PostgreSQL functions, made with each case on PostgreSQL.

The same names and the same results as the Python functions SQLite calls (functions.py, numbers.calculate):
PostgreSQL's numeric is exact, so a result is computed exactly and then, unless both operands are whole
and the operation is not `/`, rounded once to 15 significant digits, half to even. `//` truncates toward
zero and `%` takes the sign of the dividend, as C does; a division by zero or a missing operand gives NULL
(the functions are STRICT); a whole result outside the 64-bit range stops the statement with SQLSTATE
22003 (numeric_value_out_of_range) and a message like NumberError's. `warrant_sum` adds exactly and rounds
once, when any addend is a decimal.
"""

from __future__ import annotations

OUT_OF_RANGE = "22003"

_TEN = """
CREATE OR REPLACE FUNCTION warrant_ten(n integer) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ('1e' || n)::numeric $$
"""

_ROUND = """
CREATE OR REPLACE FUNCTION warrant_digits15(x numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  e integer;
  scaled numeric;
  kept numeric;
  rest numeric;
BEGIN
  IF x = 0 THEN
    RETURN 0;
  END IF;
  e := floor(log(10, abs(x)))::integer;  -- an estimate, made exact below
  WHILE abs(x) >= warrant_ten(e + 1) LOOP e := e + 1; END LOOP;
  WHILE abs(x) < warrant_ten(e) LOOP e := e - 1; END LOOP;
  scaled := x * warrant_ten(14 - e);
  kept := trunc(scaled);
  rest := abs(scaled - kept);
  IF rest > 0.5 OR (rest = 0.5 AND mod(kept, 2) <> 0) THEN
    kept := kept + sign(x);
  END IF;
  RETURN trim_scale(kept * warrant_ten(e - 14));
END $$
"""

_CHECKED = """
CREATE OR REPLACE FUNCTION warrant_checked(r numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  IF r = trunc(r) AND (r < -9223372036854775808 OR r > 9223372036854775807) THEN
    RAISE EXCEPTION '% is too large: whole numbers go from -9223372036854775808 to 9223372036854775807',
      CASE WHEN length(trunc(r)::text) <= 40 THEN trunc(r)::text
           ELSE 'a number of ' || length(abs(trunc(r))::text) || ' digits' END
      USING ERRCODE = 'numeric_value_out_of_range';
  END IF;
  RETURN trim_scale(r);
END $$
"""


# sum's state: [the exact sum, 1 once an addend is a decimal]. Both are PL/pgSQL, whose plans last the session:
# as SQL functions (which an aggregate never inlines) every call started an executor, 10 us a group.
_SUM_STEP = """
CREATE OR REPLACE FUNCTION warrant_sum_step(state numeric[], x numeric) RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF x IS NULL THEN
    RETURN state;
  END IF;
  IF state IS NULL THEN
    RETURN ARRAY[x, (x <> trunc(x))::int];
  END IF;
  RETURN ARRAY[state[1] + x, GREATEST(state[2], (x <> trunc(x))::int)];
END $$
"""

_SUM_FINAL = """
CREATE OR REPLACE FUNCTION warrant_sum_final(state numeric[]) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF state[1] IS NULL THEN
    RETURN NULL;
  END IF;
  IF abs(state[1]) < 1000000000 AND scale(state[1]) <= 6 THEN  -- at most 15 digits: nothing to round or refuse
    RETURN trim_scale(state[1]);
  END IF;
  IF state[2] = 1 THEN
    RETURN warrant_checked(warrant_digits15(state[1]));
  END IF;
  RETURN warrant_checked(state[1]);
END $$
"""


def _operation(name: str, exact: str, by_zero_null: bool) -> str:
    """One binary operation: `exact` computes the exact result of a and b, rounded unless both are whole."""
    zero = "IF b = 0 THEN RETURN NULL; END IF;" if by_zero_null else ""
    return f"""
CREATE OR REPLACE FUNCTION warrant_{name}(a numeric, b numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  r numeric;
BEGIN
  {zero}
  r := {exact};
  IF a <> trunc(a) OR b <> trunc(b) THEN
    r := warrant_digits15(r);
  END IF;
  RETURN warrant_checked(r);
END $$
"""


_DIVIDE = """
CREATE OR REPLACE FUNCTION warrant_divide(a numeric, b numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  e integer;
  n numeric;
  kept numeric;
  twice numeric;
BEGIN
  IF b = 0 THEN RETURN NULL; END IF;
  IF a = 0 THEN RETURN 0; END IF;
  -- e: the exponent of the quotient's first digit, estimated, then made exact by comparing |a| with |b| 10^e
  e := floor(log(10, abs(a)) - log(10, abs(b)))::integer;
  WHILE abs(a) >= abs(b) * warrant_ten(e + 1) LOOP e := e + 1; END LOOP;
  WHILE abs(a) < abs(b) * warrant_ten(e) LOOP e := e - 1; END LOOP;
  n := a * warrant_ten(14 - e);      -- the quotient's 15 digits are the integer part of n / b
  kept := div(n, b);
  twice := 2 * abs(n - kept * b);           -- the remainder against half the divisor: half to even
  IF twice > abs(b) OR (twice = abs(b) AND mod(kept, 2) <> 0) THEN
    kept := kept + sign(a) * sign(b);
  END IF;
  RETURN warrant_checked(kept * warrant_ten(e - 14));
END $$
"""

DEFINITIONS: tuple[str, ...] = (
    _TEN,  # 10 to the n, exact (power() rounds a negative power to 16 digits)
    _ROUND,
    _CHECKED,
    _operation("add", "a + b", False),
    _operation("subtract", "a - b", False),
    _operation("multiply", "a * b", False),
    _DIVIDE,
    _operation("quotient", "div(a, b)", True),
    _operation("remainder", "a - b * div(a, b)", True),
    """
CREATE OR REPLACE FUNCTION warrant_neg(a numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT warrant_checked(-a) $$
""",
    _SUM_STEP,
    _SUM_FINAL,
    "DROP AGGREGATE IF EXISTS warrant_sum(numeric)",
    "CREATE AGGREGATE warrant_sum(numeric) (SFUNC = warrant_sum_step, STYPE = numeric[], FINALFUNC = warrant_sum_final)",
)


def _sql(signature: str, returns: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION warrant_{signature} RETURNS {returns} LANGUAGE sql IMMUTABLE STRICT "
            f"PARALLEL SAFE AS $$ SELECT {body} $$")


def _guarded(signature: str, returns: str, body: str) -> str:
    """A function whose value is NULL where Python's raises ValueError (a date that is not one), as on SQLite."""
    return (f"CREATE OR REPLACE FUNCTION warrant_{signature} RETURNS {returns} LANGUAGE plpgsql IMMUTABLE STRICT "
            f"PARALLEL SAFE AS $$ BEGIN RETURN {body}; EXCEPTION WHEN data_exception THEN RETURN NULL; END $$")


_SHIFT = """
CREATE OR REPLACE FUNCTION warrant_shift(moment text, duration text, sign integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  n integer := split_part(duration, ' ', 1)::integer * sign;
  unit text := rtrim(split_part(duration, ' ', 2), 's');
  moved timestamp;
BEGIN
  moved := moment::timestamp;  -- here, not above: a moment that is not one is NULL (the handler below)
  moved := moved + CASE unit WHEN 'year' THEN make_interval(years => n) WHEN 'month' THEN make_interval(months => n)
                             WHEN 'week' THEN make_interval(weeks => n) WHEN 'day' THEN make_interval(days => n)
                             WHEN 'hour' THEN make_interval(hours => n) ELSE make_interval(mins => n) END;
  IF position('T' in moment) > 0 OR unit IN ('minute', 'hour') THEN
    RETURN to_char(moved, 'YYYY-MM-DD"T"HH24:MI:SS');
  END IF;
  RETURN to_char(moved, 'YYYY-MM-DD');
EXCEPTION WHEN data_exception THEN
  RETURN NULL;
END $$
"""

# The library's functions (engine/syntax/library.py) with the results of functions.IMPLEMENTATIONS: NULL for a
# missing argument (STRICT), a truth as 1 or 0 (SQLite's), letters of every alphabet in lower and upper
# (ICU's root locale; the "C" collation knows only ASCII), a month added to 31 January ending in February.
LIBRARY: tuple[str, ...] = (
    _sql("abs(x numeric)", "numeric", "abs(x)"),
    _sql("min(VARIADIC xs numeric[])", "numeric", "CASE WHEN array_position(xs, NULL) IS NULL THEN "
                                                  "(SELECT min(x) FROM unnest(xs) AS x) END"),
    _sql("max(VARIADIC xs numeric[])", "numeric", "CASE WHEN array_position(xs, NULL) IS NULL THEN "
                                                  "(SELECT max(x) FROM unnest(xs) AS x) END"),
    _sql("min(VARIADIC xs text[])", "text", "CASE WHEN array_position(xs, NULL) IS NULL THEN "
                                            '(SELECT min(x COLLATE "C") FROM unnest(xs) AS x) END'),
    _sql("max(VARIADIC xs text[])", "text", "CASE WHEN array_position(xs, NULL) IS NULL THEN "
                                            '(SELECT max(x COLLATE "C") FROM unnest(xs) AS x) END'),
    _sql("round(x numeric)", "numeric", "round(x)"),  # half away from zero, as engine/eval/functions._round
    _sql("round(x numeric, places numeric)", "numeric", "round(x, places::integer)"),
    _sql("floor(x numeric)", "numeric", "floor(x)"),
    _sql("ceil(x numeric)", "numeric", "ceil(x)"),
    _sql("lower(t text)", "text", 'lower(t COLLATE "und-x-icu")'),
    _sql("upper(t text)", "text", 'upper(t COLLATE "und-x-icu")'),
    _sql("contains(t text, part text)", "integer", "(strpos(t, part) > 0)::integer"),
    _sql("starts_with(t text, part text)", "integer", "(left(t, char_length(part)) = part)::integer"),
    _sql("ends_with(t text, part text)", "integer", "(right(t, char_length(part)) = part OR part = '')::integer"),
    _sql("length(t text)", "integer", "char_length(t)"),
    _sql("concat(VARIADIC ts text[])", "text", "CASE WHEN array_position(ts, NULL) IS NULL THEN "
                                              "array_to_string(ts, '') END"),
    _guarded("year(d text)", "integer", "extract(year FROM left(d, 10)::date)::integer"),
    _guarded("month(d text)", "integer", "extract(month FROM left(d, 10)::date)::integer"),
    _guarded("day(d text)", "integer", "extract(day FROM left(d, 10)::date)::integer"),
    _SHIFT,
    # date arithmetic (eval/sqlgen.py binop) is written with SQLite's julianday() and date(): the same here,
    # Julian days as SQLite counts them (from noon; PostgreSQL's 'J' counts from midnight, half a day later)
    "CREATE OR REPLACE FUNCTION julianday(t text) RETURNS numeric LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE "
    "AS $$ BEGIN RETURN extract(julian FROM t::timestamp) - 0.5; "
    "EXCEPTION WHEN data_exception THEN RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION date(j numeric) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "AS $$ SELECT to_char(to_date(floor(j + 0.5)::bigint::text, 'J'), 'YYYY-MM-DD') $$",
)


def define(conn) -> None:
    """Make (or remake) the functions in the case's database (inside the caller's transaction)."""
    for statement in DEFINITIONS + LIBRARY:
        conn.execute(statement)


__all__ = ["DEFINITIONS", "LIBRARY", "OUT_OF_RANGE", "define"]
