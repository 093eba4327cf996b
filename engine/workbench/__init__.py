"""The workbench: a local, read-only web app over one case file (`warrant serve`), for analysts and reviewers.

Pages: the case (runs, conclusions, what changed), entity search, an entity (status under every rulebook,
holdings, evidence), a conclusion (proof graph beside the narrative), why not, the diff of two runs, and
the audit log. It is a thin layer over the Python API (engine/api.py); see docs/analyst-guide.md.
"""
