"""A fan-in ownership case whose proof has about 200 nodes (docs/images/proof-200.png)."""

from __future__ import annotations


def fan_in(levels: int = 3, branching: int = 3, shared: int = 4) -> dict:
    """Holding H owned by `branching` companies, each owned by `branching` more, ... down `levels`;
    the bottom companies are owned by listed persons drawn from a small shared pool (fan-in)."""
    owns, listed = [], []
    pool = [f"SDN-{i}" for i in range(shared)]
    listed = [(p, "SDN") for p in pool]
    frontier = ["H"]
    for level in range(levels):
        nxt = []
        for parent in frontier:
            for b in range(branching):
                child = f"{parent}.{b + 1}" if parent != "H" else f"Co{b + 1}"
                owns.append((child, parent, 34))
                nxt.append(child)
        frontier = nxt
    for i, company in enumerate(frontier):
        owns.append((pool[i % shared], company, 30))
        owns.append((pool[(i + 1) % shared], company, 25))
    return {"listed": listed, "owns": owns}
