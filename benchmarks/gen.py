"""Deterministic benchmark data: a random graph for transitive closure, registry-shaped ownership for OFAC."""

from __future__ import annotations

import csv
import random
from pathlib import Path

TC_SEED = 1  # 3,000 nodes / 4,000 edges -> 1,542,778 paths


def tc_edges(nodes: int, edges: int, seed: int = TC_SEED) -> list[tuple[int, int]]:
    """`edges` distinct directed edges between `nodes` nodes, no self-loops."""
    rnd, out = random.Random(seed), set()
    while len(out) < edges:
        a, b = rnd.randrange(nodes), rnd.randrange(nodes)
        if a != b:
            out.add((a, b))
    return sorted(out)


def write_tc(folder: Path, edges: list[tuple[int, int]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "edge.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["src", "dst"])
        w.writerows((f"n{a}", f"n{b}") for a, b in edges)
    return folder


class Registry:
    """Ownership shaped like real company registries, built from a few structures at random:

    - chains of holdings (5 to 40 links), each link a majority, exactly 50, or a minority;
    - holding companies owned by 2 to 8 parties whose shares add up to exactly 50 (often),
      100, or just below 50 (45 to 49.5);
    - cross-holding cycles of 2 to 5 companies holding 20 to 40 % of the next, topped up
      from outside so that some reach exactly 50 together;
    - parents with many subsidiaries at assorted percentages.
    Owners are often existing entities, which ties the structures into one large graph.
    Shares are whole numbers or halves, so every sum is exact in floating point.
    About 3 % of parties are listed as SDN, and about 1 % on other lists (which must not count).
    """

    def __init__(self, target_edges: int, seed: int = 42):
        self.rnd = random.Random(seed)
        self.target = target_edges
        self.entities: list[str] = []
        self.edges: dict[tuple[str, str], float] = {}

    def new(self) -> str:
        e = f"E{len(self.entities):07d}"
        self.entities.append(e)
        return e

    def some(self) -> str:
        if len(self.entities) < 10 or self.rnd.random() < 0.35:
            return self.new()
        return self.entities[self.rnd.randrange(len(self.entities))]

    def own(self, owner: str, owned: str, pct: float) -> None:
        if owner != owned and pct > 0:
            self.edges.setdefault((owner, owned), min(pct, 100))

    def split(self, total: float, parts: int) -> list[float]:
        """`total` in `parts` positive halves."""
        units = int(total * 2)
        cuts = sorted(self.rnd.sample(range(1, units), parts - 1)) if parts > 1 and units > parts else []
        bounds = [0] + cuts + [units]
        return [(b - a) / 2 for a, b in zip(bounds, bounds[1:]) if b > a]

    def chain(self) -> None:
        node = self.some()
        for _ in range(self.rnd.randint(5, 40)):
            nxt = self.new()
            r = self.rnd.random()
            pct = 50 if r < 0.25 else (self.rnd.randint(51, 100) if r < 0.8 else self.rnd.randint(10, 49))
            self.own(node, nxt, pct)
            node = nxt

    def holding(self) -> None:
        h = self.new()
        r = self.rnd.random()
        total = 50 if r < 0.45 else (100 if r < 0.65 else self.rnd.choice([45, 47.5, 49, 49.5]))
        for share in self.split(total, self.rnd.randint(2, 8)):
            self.own(self.some(), h, share)

    def cycle(self) -> None:
        ring = [self.new() for _ in range(self.rnd.randint(2, 5))]
        for a, b in zip(ring, ring[1:] + ring[:1]):
            inside = self.rnd.choice([20, 25, 30, 40])
            self.own(a, b, inside)
            top = 50 - inside if self.rnd.random() < 0.6 else self.rnd.randint(5, 50 - inside - 1)
            self.own(self.some(), b, top)

    def fan_out(self) -> None:
        parent = self.some()
        for _ in range(self.rnd.randint(5, 50)):
            self.own(parent, self.new(), self.rnd.choice([10, 25, 49, 50, 50, 51, 75, 100]))

    def build(self) -> "Registry":
        shapes = [(0.35, self.chain), (0.35, self.holding), (0.15, self.cycle), (0.15, self.fan_out)]
        while len(self.edges) < self.target:
            r, acc = self.rnd.random(), 0.0
            for p, make in shapes:
                acc += p
                if r < acc:
                    make()
                    break
        return self

    def write(self, folder: Path) -> dict:
        folder.mkdir(parents=True, exist_ok=True)
        edges = list(self.edges.items())[: self.target]
        with open(folder / "owns.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["owner", "owned", "percent"])
            w.writerows((a, b, _num(p)) for (a, b), p in edges)
        owners = sorted({a for (a, _), _ in edges})
        listed = self.rnd.sample(owners, max(1, len(owners) * 3 // 100))
        other = self.rnd.sample(self.entities, max(1, len(self.entities) // 100))
        with open(folder / "listed.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["party", "list"])
            w.writerows((p, "SDN") for p in sorted(listed))
            w.writerows((p, self.rnd.choice(["EU", "UK", "UN"])) for p in sorted(other))
        return {"edges": len(edges), "entities": len(self.entities), "sdn": len(listed), "other_lists": len(other)}


def _num(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else str(p)


def write_ofac(folder: Path, edges: int, seed: int = 42) -> dict:
    return Registry(edges, seed).build().write(folder)
