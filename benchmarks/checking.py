"""Checking large rulebooks (issue 19): parse and check stay near-linear in the number of rules.

Two generated shapes per size: a chain (each rule concludes what the next one uses: as many strata as
rules) and a ring (every rule in one recursive component). Each is checked once by the `check` job in a
process of its own; the growth is the CPU time per rule at the largest size over that at the smallest
(CPU time: the wall time of a shared machine varies by more than the growth measured)."""

from __future__ import annotations

from pathlib import Path

from .common import run_job

CHECK_SIZES = [1_000, 10_000]
CHECK_QUICK = [500, 2_000]
TARGET = 1.5  # seconds per rule at the largest size at most 1.5x those at the smallest (quadratic: 10x)


def rulebook(shape: str, rules: int) -> str:
    """A valid rulebook of `rules` rules over one evidence predicate, in the given shape."""
    out = ['rulebook bench "Check benchmark" version "1"\nevidence p(a: entity, v: number) "input"\n']
    out += [f"derived d{i}(a: entity)\n" for i in range(rules)]
    out.append("conclusion c(a: entity)\n")
    for i in range(rules):
        body = (f"p(A, _) and d{(i + 1) % rules}(A)" if shape == "ring" else "p(A, V) and V > 0" if i == 0
                else f"d{i - 1}(A)")
        out.append(f'rule R{i} "Step {i}" cites "benchmark":\n  d{i}(A) if {body}.\n  because "{{A}}".\n')
    out.append(f'rule RC "Conclusion" cites "benchmark":\n  c(A) if d{rules - 1}(A).\n  because "{{A}}".\n')
    return "".join(out)


def bench_check(work: Path, sizes: list[int], say) -> dict:
    say("\n== check (parse and check) of generated rulebooks ==")
    say(f"{'shape':>6}{'rules':>8}{'wall s':>9}{'CPU s':>9}{'ms/rule':>9}   target: CPU ms/rule grows <= {TARGET:g}x")
    out: dict = {}
    for shape in ("chain", "ring"):
        per_rule = []
        for size in sizes:
            path = work / f"check_{shape}_{size}.rules"
            path.write_text(rulebook(shape, size), encoding="utf-8")
            result = run_job("check", rulebook=str(path))
            assert result["rules"] == size + 1, result
            per_rule.append(result["cpu_s"] / size)
            out[f"{shape}_{size}"] = result
            say(f"{shape:>6}{size:>8,}{result['parse_s']:>9.2f}{result['cpu_s']:>9.2f}{1000 * per_rule[-1]:>9.3f}")
        growth = per_rule[-1] / per_rule[0]
        out[f"{shape}_growth"] = growth
        say(f"{shape:>6} growth {growth:.2f}x  {'met' if growth <= TARGET else 'MISSED'}")
    return out
