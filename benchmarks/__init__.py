"""Warrant benchmarks (issue 4): `python -m benchmarks` runs them and prints a table.

Each measured job runs in its own subprocess (benchmarks.jobs), so timings do not share
caches and peak memory (ru_maxrss from wait4) belongs to that job alone.
Generated data lives in a temporary folder; results go to benchmarks/results/latest.json.
"""
