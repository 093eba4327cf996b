"""Exact numbers (docs/language.md, "Numbers"): whole numbers stay 64-bit integers, decimals are exact decimals,
`//` and `%` are C's, overflow is a located error, and every output prints 5, not 5.0."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner
from hypothesis import example, given, strategies as st

from engine import api, numbers
from engine.audit import calc
from engine.audit.bundle import verify_bundle
from engine.cli import main
from engine.proof import api as proof_api
from engine.store import LoadError
from engine.store.backend import has_table

from case_files import diagnostics, run_case

RULES = textwrap.dedent('''\
    rulebook nums "Exact numbers" version "1"
    evidence val(who: entity, n: number)
    evidence pct(owner: entity, owned: entity, share: percent)
    conclusion same(who: entity, n: number)
    conclusion parts(who: entity, q: number, r: number)
    conclusion controlled(who: entity, total: percent)
    conclusion exact_tenths(who: entity)
    conclusion doubled(who: entity, d: number)
    threshold majority = 50%

    rule S1 "The number itself" cites "c":
      same(X, N) if val(X, N).
      because "{X} has {N}".

    rule D1 "Quotient and remainder" cites "c":
      parts(X, Q, R) if val(X, N) and N < 1000 and Q = N // 5 and R = N % 5.
      because "{X}: {Q} fives and {R}".

    rule C1 "Majority" cites "c":
      controlled(E, T) if T = sum(P for pct(_, E, P)) and T >= majority.
      because "{E} is held at {T}%, at least {majority}".

    rule T1 "Tenths" cites "c":
      exact_tenths(X) if val(X, _) and 0.1 + 0.2 = 0.3.
      because "{X}".

    rule M1 "Doubled" cites "c":
      doubled(X, D) if val(X, N) and N < 1000 and D = N * 2.5 * 2 - N * 4.
      because "{X} doubled is {D}".
''')

CSVS = {
    "val": "who,n\nbig,9007199254740993\nneg,-139\npos,139\nfive,5.0\n",
    "pct": "owner,owned,share\na,edge,49.99\nb,edge,0.01\nc,thirds,33.33\nd,thirds,16.67\ne,thirds,0.01\n"
           "f,short,49.99\ng,short,0.009\n",
}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("numbers")
    c, run = run_case(root, RULES, CSVS, "2024-07-03")
    yield root, c, run
    c.close()


def test_parse_keeps_whole_numbers_whole_and_decimals_exact():
    assert numbers.parse("9007199254740993") == 9007199254740993
    assert numbers.parse(" 5.0 ") == 5 and type(numbers.parse("5.0")) is int
    assert numbers.parse("50.85") == 50.85 and numbers.parse("1e3") == 1000
    with pytest.raises(numbers.NumberError, match="too large"):
        numbers.parse("9223372036854775808")
    with pytest.raises(numbers.NumberError, match="16 significant digits"):
        numbers.parse("0.1234567890123456")


def _parsed(parse, texts):
    try:
        return [(type(v), v) for v in parse(texts)]
    except (ValueError, ArithmeticError) as exc:
        return type(exc), str(exc)


@given(st.lists(st.text(alphabet="0123456789.+-eE \t_x", max_size=20) | st.from_regex(r"[+-]?[0-9]{0,9}(\.[0-9]{0,6})?", fullmatch=True), max_size=6))
@example(["-0.0", "-0", "1.", ".5", "00012", "-00.50", "12.5", "9999999999.99999"])
@example(["1_000"])
@example(["nan"])
@example(["\u0661"])
@example([" 7 ", "\t8.5"])
@example(["9223372036854775808"])
def test_parse_all_reads_a_column_as_parse_reads_each_text(texts):
    assert _parsed(numbers.parse_all, texts) == _parsed(lambda ts: [numbers.parse(t) for t in ts], texts)


@pytest.mark.parametrize("op, a, b, want", [
    ("+", 49.99, 0.01, 50), ("+", 0.1, 0.2, 0.3), ("//", 139, 5, 27), ("//", -139, 5, -27), ("%", -139, 5, -4),
    ("%", 139, -5, 4), ("%", 7.5, 2, 1.5), ("*", 2.5, 2, 5), ("/", 1, 3, 0.333333333333333), ("/", 1, 0, None),
    ("-", numbers.INT_MIN + 1, 1, numbers.INT_MIN),
])
def test_the_evaluator_and_the_independent_checker_calculate_alike(op, a, b, want):
    got = numbers.calculate(op, a, b)
    assert got == want and type(got) is type(want) and calc.arith(op, a, b) == want


def test_sums_of_percentages_are_exact_at_the_threshold():
    assert numbers.exact_sum([33.33, 16.67, 0.01]) == 50.01 == calc.total([33.33, 16.67, 0.01])
    assert numbers.exact_sum([49.99, 0.01]) == 50 and type(numbers.exact_sum([49.99, 0.01])) is int
    assert sum([0.1, 0.2]) != 0.3 and numbers.exact_sum([0.1, 0.2]) == 0.3  # binary floats are not decimals


@pytest.mark.parametrize("op, a, b", [("+", numbers.INT_MAX, 1), ("*", 2 ** 62, 2), ("-", numbers.INT_MIN, 1)])
def test_integer_overflow_is_an_error_never_a_wrap_or_a_float(op, a, b):
    with pytest.raises(numbers.NumberError, match="too large"):
        numbers.calculate(op, a, b)
    with pytest.raises(ArithmeticError):
        calc.arith(op, a, b)


@pytest.mark.parametrize("value, text", [(5, "5"), (5.0, "5"), (50.85, "50.85"), (-27, "-27"), (1e-05, "0.00001"),
                                         (0.3, "0.3")])
def test_numbers_print_as_people_write_them(value, text):
    assert numbers.number_text(value) == text


def test_whole_numbers_load_and_come_back_exactly(case):
    _, c, _ = case
    same = dict(map(tuple, c.conclusions()["same"]))
    assert same == {"big": 9007199254740993, "neg": -139, "pos": 139, "five": 5}
    assert type(same["five"]) is int


def test_integer_division_truncates_toward_zero_and_remainder_takes_the_dividends_sign(case):
    _, c, _ = case
    assert sorted(map(tuple, c.conclusions()["parts"])) == [("five", 1, 0), ("neg", -27, -4), ("pos", 27, 4)]


def test_decimal_sums_compare_exactly_at_thresholds(case):
    _, c, _ = case
    assert sorted(map(tuple, c.conclusions()["controlled"])) == [("edge", 50), ("thirds", 50.01)]
    assert len(c.conclusions()["exact_tenths"]) == 4
    assert sorted(map(tuple, c.conclusions()["doubled"])) == [("five", 5), ("neg", -139), ("pos", 139)]


def test_query_json_and_text_print_whole_numbers_without_a_point(case):
    root, _, _ = case
    db = str(root / "case.db")
    out = CliRunner().invoke(main, ["query", 'same(X, N)', "--db", db, "--json"]).output
    rows = dict(map(tuple, json.loads(out[:out.rindex("}") + 1])["rows"]))
    assert rows["big"] == 9007199254740993 and '9007199254740993' in out and "5.0" not in out
    text = CliRunner().invoke(main, ["query", 'controlled(E, T)', "--db", db]).output
    assert "edge\t50\n" in text and "thirds\t50.01\n" in text


def test_proofs_print_exact_values_and_the_checker_confirms_them(case, tmp_path):
    _, c, _ = case
    proof = c.why('controlled("thirds", 50.01)')
    text = proof_api.render(proof, "text")
    assert "sum(P for pct(_, E, P)) = 50.01; 50.01 >= 50 (majority) holds" in text
    assert "is held at 50.01%, at least 50\n" in text and "50.010000000000005" not in text
    edge = proof_api.render(c.why('controlled("edge", 50)'), "json")
    assert '"total": 50' in edge and "50.0" not in edge
    c.export('controlled("thirds", 50.01)', tmp_path / "bundle")
    assert verify_bundle(tmp_path / "bundle").valid


def test_a_sum_just_under_the_threshold_does_not_hold(case):
    _, c, _ = case
    assert "short" not in {row[0] for row in c.conclusions()["controlled"]}  # 49.999


def test_a_load_of_a_number_out_of_range_is_located_and_loads_nothing(tmp_path):
    (tmp_path / "case.rules").write_text(RULES)
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "val.csv").write_text("who,n\nok,1\nhuge,9223372036854775808\nfine,0.5\n")
    (tmp_path / "facts" / "pct.json").write_text('[{"owner": "a", "owned": "b", "share": 12.3456789012345678}]')
    program = api.load_rulebook(tmp_path / "case.rules")
    with api.Case.open(tmp_path / "case.db") as c:
        with pytest.raises(LoadError) as err:
            c.load(program, tmp_path / "facts")
        found = sorted((p.code, p.line, p.reason[:40]) for p in err.value.problems)
        assert found == [("L016", 1, "12.3456789012345678 has 18 significant d"),
                         ("L016", 3, "9223372036854775808 is too large: whole ")]
        assert not has_table(c.conn, "ev_val")


def test_a_json_number_beyond_a_double_loads_exactly(tmp_path):
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "val.json").write_text('[{"who": "big", "n": 9007199254740993}, {"who": "d", "n": 50.85}]')
    (tmp_path / "facts" / "pct.csv").write_text("owner,owned,share\n")
    (tmp_path / "case.rules").write_text(RULES)
    program = api.load_rulebook(tmp_path / "case.rules")
    with api.Case.open(tmp_path / "case.db") as c:
        c.load(program, tmp_path / "facts")
        c.run(program, as_of="2024-07-03")
        assert sorted(map(tuple, c.conclusions()["same"])) == [("big", 9007199254740993), ("d", 50.85)]


OVERFLOW = textwrap.dedent('''\
    rulebook over "Overflow" version "1"
    evidence val(who: entity, n: number)
    conclusion twice(who: entity, n: number)
    conclusion total(n: number)

    rule O1 "Twice" cites "c":
      twice(X, M) if val(X, N) and M = N * 2.
      because "{X}".
''')


@pytest.mark.parametrize("rule, where", [
    ("", "rule O1 (", ),
    ('rule O2 "Total" cites "c":\n  total(T) if T = sum(N for val(_, N)) and T > 0.\n  because "{T}".\n', "rule O2 ("),
])
def test_overflow_in_a_run_names_the_rule_and_stores_nothing(tmp_path, rule, where):
    rules = OVERFLOW + rule
    rows = "who,n\na,4611686018427387904\nb,4611686018427387904\n" if rule else "who,n\na,4611686018427387904\n"
    if rule:
        rules = rules.replace("M = N * 2", "M = N")
    with pytest.raises(Exception) as err:
        run_case(tmp_path, rules, {"val": rows}, "2024-07-03")
    message = str(err.value)
    assert where in message and "case.rules:" in message and "too large" in message and "nothing was stored" in message


@pytest.mark.parametrize("literal, reason", [("99999999999999999999", "is too large"),
                                             ("0.1234567890123456", "16 significant digits")])
def test_a_literal_the_language_cannot_hold_is_e175_with_a_caret(tmp_path, literal, reason):
    (tmp_path / "case.rules").write_text(OVERFLOW.replace("N * 2", f"N * {literal}"))
    found = diagnostics(tmp_path)
    assert [(d.code, d.span.line) for d in found] == [("E175", 7)] and reason in found[0].message


def test_a_whole_decimal_written_in_a_rulebook_is_stored_and_printed_as_a_whole_number(tmp_path):
    rules = RULES.replace("threshold majority = 50%", 'table cap(who: entity, n: number) cites "c":\n  "x", 5.0.\n'
                          "threshold majority = 50%") + textwrap.dedent('''\
        rule K1 "Capped" cites "c":
          same(X, N) if cap(X, N).
          because "{X} is capped at {N}".
        ''')
    c, _ = run_case(tmp_path, rules, CSVS, "2024-07-03")
    assert ["x", 5] in c.conclusions()["same"]
    assert [type(n) for x, n in c.conclusions()["same"] if x == "x"] == [int]
    assert "capped at 5\n" in proof_api.render(c.why('same("x", 5)'), "text")


def test_run_output_writes_small_decimals_without_an_exponent_and_they_parse_back(tmp_path):
    (tmp_path / "case.rules").write_text(RULES)
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "val.csv").write_text("who,n\ntiny,0.00001\n")
    (tmp_path / "facts" / "pct.csv").write_text("owner,owned,share\n")
    db = str(tmp_path / "case.db")
    out = CliRunner().invoke(main, ["run", str(tmp_path / "case.rules"), "--facts", str(tmp_path / "facts"),
                                    "--db", db, "--as-of", "2024-07-03"]).output
    assert 'same("tiny", 0.00001)' in out and "e-05" not in out
    found = CliRunner().invoke(main, ["query", "same(X, 0.00001)", "--db", db]).output
    assert "tiny\t0.00001" in found
