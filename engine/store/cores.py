"""Whether a second processor is free for this command: for a forked loading process (parallel.py) and for
SQLite's sorting threads (schema.py). On a machine whose other processors are busy they only compete with
this process for the same time: a load on two cores under a load average of 4 took as long on one process,
with 10 % more processor time, and index builds with helper threads took longer than without."""

from __future__ import annotations

import os


def spare_core() -> bool:
    """True when the machine has at least two processors and its 1-minute load average leaves one idle
    besides this process (below the number of processors minus a half); True where it cannot be read."""
    cpus = os.cpu_count() or 1
    if cpus < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    return load < cpus - 0.5
