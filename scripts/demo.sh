#!/usr/bin/env bash
# The main job: build the demo case file, run every shipped rulebook, and write the case report
# with a rendered proof for every conclusion (sets everything up first). Output: out/demo/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python examples/demo/run_demo.py "${1:-out/demo}"
