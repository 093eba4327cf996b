"""Importing FollowTheMoney entity files (issue 14): `warrant import ftm` of a generated OpenSanctions-like
file, in a process of its own per size: entities a second of wall time and of CPU time (target at least
20,000 per CPU second: the wall time of a shared machine varies by more than that) and peak memory, which
must stay bounded (the 1M-entity import's peak within 1.5x of the 100k one's: a file held in memory would
take about ten times more).

The file: persons and companies (a fifth of them on a sanctions dataset, as screening targets), Ownerships
(with percentages such as 12.5 or 50.85, a tenth of them versions of one holding, some without a
percentage), Sanctions naming their authority and programme, Directorships and Addresses (the last skipped
by the mapping: every entity is accounted for, loaded or skipped)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from .common import run_job

FTM_SIZES = [100_000, 1_000_000]
FTM_QUICK = [20_000]
TARGET_RATE = 20_000      # entities a second, at least
TARGET_PEAK_GROWTH = 1.5  # the largest size's peak over the smallest's, at most
DATASETS = ["us_ofac_sdn", "eu_fsf", "gb_hmt_sanctions", "cy_registry", "gb_coh_psc"]


def _entity(i: int, rng: random.Random, parties: int) -> dict:
    kind = i % 20
    party = f"e{rng.randrange(parties)}"
    if kind < 6:  # a party: person or company
        sanctioned = rng.random() < 0.2
        datasets = [rng.choice(DATASETS[:3])] if sanctioned else [rng.choice(DATASETS[3:])]
        schema = "Person" if kind < 2 else "Company"
        props = {"name": [f"Party {i}"], "country": [rng.choice(["ru", "cy", "ae", "gb"])]}
        if schema == "Company":
            props["registrationNumber"] = [f"R{i}"]
        return {"id": f"e{i // 20 * 6 + kind}", "schema": schema, "properties": props, "datasets": datasets,
                "target": sanctioned, "topics": ["sanction"] if sanctioned else []}
    if kind < 15:  # an ownership
        props = {"owner": [party], "asset": [f"e{rng.randrange(parties)}"]}
        if kind != 14:
            props["percentage"] = [rng.choice(["100", "50", "25", "12.5", "50.85", "33.33", "10"])]
        if kind == 13:  # versions of one holding
            props["recordId"] = [f"h{i // 200}"]
            props["startDate"] = [f"{2015 + i % 10}-0{1 + i % 9}-01"]
        return {"id": f"own{i}", "schema": "Ownership", "properties": props, "datasets": ["cy_registry"]}
    if kind < 17:
        return {"id": f"s{i}", "schema": "Sanction", "datasets": ["us_ofac_sdn"], "properties": {
            "entity": [party], "authority": ["Office of Foreign Assets Control"], "program": ["RUSSIA-EO14024"],
            "startDate": ["2022-04-06"]}}
    if kind < 19:
        return {"id": f"d{i}", "schema": "Directorship", "datasets": ["cy_registry"], "properties": {
            "director": [party], "organization": [f"e{rng.randrange(parties)}"], "role": ["director"]}}
    return {"id": f"a{i}", "schema": "Address", "datasets": ["cy_registry"], "properties": {"full": [f"{i} Main St"]}}


def write_ftm(path: Path, entities: int, seed: int = 1) -> dict:
    """Write `entities` FtM entities as JSON lines (streamed); returns the file's shape."""
    rng = random.Random(seed)
    parties = max(entities * 6 // 20, 1)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(entities):
            out.write(json.dumps(_entity(i, rng, parties)) + "\n")
    return {"entities": entities, "bytes": path.stat().st_size}


def ftm_import_job(file: str, db: str) -> dict:
    """`warrant import ftm FILE --db DB` through the API, timed; the summary's counts."""
    from engine.api import Case

    start, cpu = time.perf_counter(), time.process_time()
    with Case.open(db) as case:
        done = case.import_ftm([file], progress=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = done.summary
    return {"seconds": seconds, "cpu_s": cpu, "entities": summary.entities, "loaded": summary.loaded, "skipped": summary.skipped,
            "records": sum(summary.records.values()), "added": done.load.added, "names": summary.names}


def bench_ftm(work: Path, sizes: list[int], say) -> dict:
    say("\n== FtM import (warrant import ftm) of generated OpenSanctions-like files ==")
    say(f"{'entities':>10}{'MiB':>7}{'records':>10}{'wall s':>8}{'CPU s':>8}{'entities/s':>12}{'per CPU s':>11}"
        f"{'peak MiB':>10}   target: >= {TARGET_RATE:,} per CPU second, peak bounded")
    out: dict = {}
    for size in sizes:
        path = work / f"ftm_{size}.jsonl"
        shape = write_ftm(path, size)
        db = work / f"ftm_{size}.db"
        for p in work.glob(f"ftm_{size}.db*"):
            p.unlink()
        r = run_job("ftm_import", file=str(path), db=str(db))
        assert r["entities"] == size == r["loaded"] + r["skipped"], "entities not all accounted for"
        rate, cpu_rate = size / r["seconds"], size / r["cpu_s"]
        say(f"{size:>10,}{shape['bytes'] / 2**20:>7.0f}{r['records']:>10,}{r['seconds']:>8.1f}{r['cpu_s']:>8.1f}"
            f"{rate:>12,.0f}{cpu_rate:>11,.0f}{r['peak_rss_mib']:>10.0f}   {'met' if cpu_rate >= TARGET_RATE else 'MISSED'}")
        out[str(size)] = {"shape": shape, "rate": rate, "cpu_rate": cpu_rate, **r}
        db.unlink(missing_ok=True)
    if len(sizes) > 1:
        growth = out[str(max(sizes))]["peak_rss_mib"] / out[str(min(sizes))]["peak_rss_mib"]
        out["peak_growth"] = growth
        say(f"peak at {max(sizes):,} over peak at {min(sizes):,}: {growth:.2f}x "
            f"(target <= {TARGET_PEAK_GROWTH}x): {'met' if growth <= TARGET_PEAK_GROWTH else 'MISSED'}")
    return out
