"""Started with this folder on PYTHONPATH (the suite on PostgreSQL), a Python process opens case files as
PostgreSQL databases (redirect.py); nothing is imported until the engine opens a case."""

import os
import sys

if os.environ.get("WARRANT_TEST_DATABASE") == "postgresql":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import warrant_pg_redirect as redirect
    finally:
        sys.path.pop(0)
    redirect.install()
