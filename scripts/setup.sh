#!/usr/bin/env bash
# Create .venv with Warrant, its workbench (warrant serve), PostgreSQL support and its test tools, and make sure Graphviz's `dot` is installed.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again (it only adds what is missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Warrant needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 2
fi

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Graphviz (apt-get install graphviz)..." >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    echo "installing Graphviz (sudo apt-get install graphviz)..." >&2
    sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
  else
    echo "error: Graphviz's 'dot' program is missing. Install it (Debian/Ubuntu: apt-get install graphviz;" >&2
    echo "       macOS: brew install graphviz; Fedora: dnf install graphviz), then run this command again." >&2
    exit 2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.warrant-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test,web,postgres]'
  touch "$stamp"
fi
# Compile Warrant's modules once (only what changed since), as a wheel install would: an editable install
# under PYTHONDONTWRITEBYTECODE=1 would otherwise compile them again on every command (~0.1 s each time).
.venv/bin/python -m compileall -q engine >/dev/null
