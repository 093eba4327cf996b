#!/usr/bin/env bash
# Run the Warrant benchmarks: bash benchmarks/run.sh [--quick] [--only tc|ofac|proof] [--sizes 10000,100000]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install -q -e '.[bench]'
exec .venv/bin/python -m benchmarks "$@"
