"""Draw the pictures of docs/reviewer-guide.md's "A proof with withheld parts": the same conclusion of the
demo case as two readers see it (an analyst cleared SECRET, a liaison officer cleared OFFICIAL), as PNG.

    python scripts/sharing_pictures.py [CASE_DB]     # default: out/demo/case.db (run scripts/demo.sh first)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import api  # noqa: E402
from engine.proof import api as proof_api  # noqa: E402

ATOM = 'graded_indicator("co:tallis-trading", "front company of the Gulfstar network", "osint-2024-017", ' \
       '"partner-state", "B", 2)'
OUT = ROOT / "docs" / "images"


def main(db: Path) -> None:
    with api.Case.open(db, create=False) as owner:  # the latest screening run (the partner's run comes after it)
        run = [r["id"] for r in owner.runs() if r["rulebook"] == "screening"][-1]
    for reader in ("analyst", "liaison"):
        with api.Case.open(db, create=False, as_principal=reader) as case:
            proof = case.named(case.why(ATOM, run))
            path = OUT / f"sharing-{reader}.png"
            path.write_bytes(proof_api.render(proof, "png"))
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out" / "demo" / "case.db")
