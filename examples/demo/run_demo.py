"""Run the demo case end to end: build the case file, run every shipped rulebook on each
assessment date as the case stood then, ask one retrospective question (a past payment judged
on the evidence gathered since), check the outcomes against expected.json, and write the case
report (summary, and per conclusion of the latest assessment and of the retrospective run its
narrative and proof graph).

    python examples/demo/run_demo.py [OUT_DIR]        (default: out/demo)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import (ASSESSMENTS, BASE_RECORDED, REGIMES, RULEBOOKS, UPDATE_RECORDED,  # noqa: E402
                      build_case)

from engine import api  # noqa: E402
from engine.report import write_report  # noqa: E402

STANDARDS_DATES = ("2024-09-30", "2024-11-01")
# The retrospective question: did the payment tx:2024-006 to Tallis Trading need review on 30 September
# 2024? Judged on everything recorded since, it did (a bank's report arrived on 15 October); on what was
# known that day, it did not.
PAYMENT_DAY = "2024-09-30"
PAYMENT = ["tx:2024-006", "co:tallis-trading"]


def build(db: Path) -> api.Case:
    """A fresh case file with every demo fact, the updates and the recorded determinations."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    case = build_case(db, with_updates=True)
    screening = api.load_rulebook(RULEBOOKS / "screening.rules")
    case.load(screening, HERE / "determinations", progress=False, recorded_at=BASE_RECORDED)
    case.load(screening, HERE / "updates" / "determinations", progress=False, recorded_at=UPDATE_RECORDED)
    return case


def run_all(case: api.Case) -> tuple[dict, list[str]]:
    """Every rulebook on every assessment date; returns the outcomes and the runs of the last date."""
    outcomes: dict = {}
    last: list[str] = []
    for as_of in ASSESSMENTS:
        found = outcomes.setdefault(as_of, {"blocked": {}})
        names = list(REGIMES.items())
        if as_of in STANDARDS_DATES:
            names += [("screening", "screening.rules"), ("standards", "evidence_standards.rules")]
        for label, name in names:
            result = case.run(api.load_rulebook(RULEBOOKS / name), as_of=as_of, known_at=as_of)
            if label in REGIMES:
                found["blocked"][label] = sorted(r[0] for r in result.conclusions["blocked"])
            else:
                found[label] = result.conclusions
            print(f"  {result.run_id}  {name:<28} as of {as_of}, known at {as_of}: "
                  + ", ".join(f"{len(v)} {k}" for k, v in result.conclusions.items()))
            if as_of == ASSESSMENTS[-1]:
                last.append(result.run_id)
    return outcomes, last


def retrospective(case: api.Case) -> tuple[str, list[str]]:
    """The payment question under both clocks: (the retrospective run, problems found)."""
    screening = api.load_rulebook(RULEBOOKS / "screening.rules")
    then = case.run(screening, as_of=PAYMENT_DAY, known_at=PAYMENT_DAY)
    now = case.run(screening, as_of=PAYMENT_DAY)
    flagged = {run.run_id: PAYMENT in run.conclusions["needs_review"] for run in (then, now)}
    atom = f'needs_review("{PAYMENT[0]}", "{PAYMENT[1]}")'
    print(f"retrospective question: did {PAYMENT[0]} to {PAYMENT[1]} need review on {PAYMENT_DAY}?")
    print(f"  {then.run_id}  on what was known that day: {'yes' if flagged[then.run_id] else 'no'}")
    print(f"  {now.run_id}  on all the evidence recorded since: {'yes' if flagged[now.run_id] else 'no'}"
          f"  (warrant why '{atom}' --run {now.run_id})")
    problems = [] if flagged == {then.run_id: False, now.run_id: True} else [
        f"retrospective question: expected no on what was known on {PAYMENT_DAY} and yes on today's evidence, "
        f"got {flagged}"]
    return now.run_id, problems


# Two readers of the same case file (issue 16): an analyst cleared for what the partner state shared
# (SECRET, released to the UK) and a liaison officer cleared OFFICIAL, who sees its report withheld.
READERS = {"analyst": ("SECRET", "UK"), "liaison": ("OFFICIAL", "UK")}


def reader_reports(case: api.Case, out: Path, run_ids: list[str]) -> dict[str, Path]:
    """The case report of `run_ids` once per reader, each showing only what that reader may see."""
    found = {p.name for p in case.principals()}
    for name, (clearance, nationality) in READERS.items():
        if name not in found:
            case.add_principal(name, "user", clearance, nationality)
    written = {}
    for name in READERS:
        reader = api.Case(case.store, case.actor, as_principal=name)
        written[name] = write_report(reader, out / name, run_ids, title=f"The Kessler network, as {name} may see it")
    return written


PARTNER = "FR-DGT"  # a partner state's sanctions authority (its key is made afresh for each demo run)
PARTNER_FINDING = 'blocked("co:volkhov-energy")'


def partner_corroboration(case: api.Case, out: Path) -> str:
    """A partner state runs OFAC's 50% rule on the lists and registries, signs the bundle of its finding on
    Volkhov Energy; the case team verifies it against its trust store, takes it as evidence (SECRET REL TO
    UK, as the memorandum says) and runs partner.rules: returns that run."""
    import shutil

    from engine.access.partner import PartnerTerms
    from engine.audit.keys import init_keys, load_trust

    root = out / "partner"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    ofac = api.load_rulebook(RULEBOOKS / "ofac_50.rules")
    key = init_keys(PARTNER, root / "keys")
    (root / "trust.json").write_text(key.entry.to_json())
    with api.Case.open(root / "case.db", create=True) as theirs:
        for folder in ("lists", "registry"):
            theirs.load(ofac, HERE / "facts" / folder, progress=False, recorded_at=BASE_RECORDED)
        run = theirs.run(ofac, as_of=PAYMENT_DAY, known_at=PAYMENT_DAY).run_id
        theirs.export(PARTNER_FINDING, root / "bundle", run, key=key)
    partner = api.load_rulebook(HERE / "partner.rules")
    terms = PartnerTerms(reliability="B", credibility=2, classification="SECRET", releasability="REL TO UK",
                         conclusion_as="partner_finding")
    found, _ = case.import_bundle(root / "bundle", partner, load_trust(root / "trust.json"), terms)
    result = case.run(partner, as_of=PAYMENT_DAY)
    print(f"partner evidence: {found.conclusion} as issued by {found.agency}, verified and taken in "
          f"(SECRET REL TO UK); {result.run_id}  partner.rules: {len(result.conclusions['corroborated'])} corroborated")
    return result.run_id


def compare(outcomes: dict) -> list[str]:
    """Differences between this run and the headline outcomes in expected.json."""
    expected = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))["assessments"]
    problems = []
    for as_of, want in expected.items():
        for regime, parties in want["blocked"].items():
            if regime in REGIMES and outcomes[as_of]["blocked"].get(regime) != parties:
                problems.append(f"{regime} as of {as_of}: blocked {outcomes[as_of]['blocked'].get(regime)}, expected {parties}")
        for label in ("screening", "standards"):
            if label in want and json.loads(json.dumps(outcomes[as_of].get(label))) != want[label]:
                problems.append(f"{label} as of {as_of} differs from expected.json")
    return problems


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    print(f"building the case file {out / 'case.db'} ...")
    case = build(out / "case.db")
    try:
        print("running the rulebooks:")
        outcomes, last = run_all(case)
        retro, problems = retrospective(case)
        problems += compare(outcomes)
        print("writing the case report (a narrative and a proof graph per conclusion) ...")
        partner = partner_corroboration(case, out)
        index = write_report(case, out / "report", last + [retro, partner], title="The Kessler network: case report")
        readers = reader_reports(case, out / "readers", [retro, partner])
        chain = case.verify_audit()
    finally:
        case.close()
    for p in problems:
        print(f"MISMATCH: {p}", file=sys.stderr)
    print(f"outcomes {'match' if not problems else 'DO NOT match'} examples/demo/expected.json; "
          f"audit log {'intact' if chain.ok else 'BROKEN'} ({chain.entries} entries)")
    print(f"case report: {index}")
    print(f"proofs:      {out / 'report'}/<run>/*.svg|md|html")
    for name, path in readers.items():
        print(f"as {name + ':':<11} {path}  ({', '.join(READERS[name])})")
    print(f"case file:   {out / 'case.db'}  (try: warrant why --db {out / 'case.db'} 'blocked(\"...\")')")
    return 1 if problems or not chain.ok else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/demo")))
