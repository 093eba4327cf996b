"""A small TextMate tokenizer, enough for the VS Code grammar's rules: `match` (with `name` or `captures`),
one-line `begin`/`end` (with inner `patterns`) and `include` of the repository. Python's `re` reads the
grammar's regexes, which use no syntax of Oniguruma's own."""

from __future__ import annotations

import re


def flatten(patterns: list[dict], repository: dict) -> list[dict]:
    """`patterns` with every `include` replaced by what it names, in order."""
    out = []
    for p in patterns:
        if "include" in p:
            target = repository[p["include"].lstrip("#")]
            out += flatten(target.get("patterns", [target]) if "match" not in target and "begin" not in target
                           else [target], repository)
        else:
            out.append(p)
    return out


def _first_match(patterns, line, pos):
    """The pattern matching earliest from `pos` (the first listed wins a tie), and its match."""
    best = None
    for p in patterns:
        m = re.compile(p.get("match") or p["begin"]).search(line, pos)
        if m and m.end() > m.start() and (best is None or m.start() < best[1].start()):
            best = (p, m)
    return best


def tokenize_line(line: str, grammar: dict) -> list[tuple[str, str]]:
    """(text, scope) for each token of `line`; text no rule matches (spaces) is left out."""
    patterns = flatten(grammar["patterns"], grammar["repository"])
    out, pos = [], 0
    while (found := _first_match(patterns, line, pos)) is not None:
        p, m = found
        if "match" in p:
            out += _captured(p, m)
            pos = m.end()
        else:
            out.append((m.start(), m.group(), p["name"]))
            pos = _inside(p, line, m.end(), grammar["repository"], out)
    return _merged(out)


def _inside(p: dict, line: str, pos: int, repository: dict, out: list) -> int:
    """Tokenize a begin/end region from `pos` to its end (or the end of the line); where it ends."""
    end, inner = re.compile(p["end"]), flatten(p.get("patterns", []), repository)
    while True:
        closing = end.search(line, pos)
        sub = _first_match(inner, line, pos)
        if sub and (closing is None or sub[1].start() < closing.start()):
            out.append((pos, line[pos:sub[1].start()], p["name"]))
            out += [(start, text, f"{p['name']} {scope}") for start, text, scope in _captured(*sub)]
            pos = sub[1].end()
            continue
        stop = closing.end() if closing else len(line)
        out.append((pos, line[pos:stop], p["name"]))
        return stop


def _captured(p: dict, m: re.Match) -> list[tuple[int, str, str]]:
    if "name" in p:
        return [(m.start(), m.group(), p["name"])]
    return [(m.start(int(k)), m.group(int(k)), c["name"])
            for k, c in sorted(p["captures"].items(), key=lambda kv: int(kv[0])) if m.group(int(k))]


def _merged(tokens: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    """Adjoining pieces of one scope as one token (a string's quotes and text)."""
    out: list[list] = []
    for start, text, scope in tokens:
        if not text:
            continue
        if out and out[-1][2] == scope and out[-1][0] + len(out[-1][1]) == start:
            out[-1][1] += text
        else:
            out.append([start, text, scope])
    return [(text, scope) for _, text, scope in out]


def all_regexes(node) -> list[str]:
    """Every regex of a grammar (match, begin, end), wherever it is nested."""
    if isinstance(node, dict):
        own = [node[k] for k in ("match", "begin", "end") if k in node]
        return own + [r for v in node.values() for r in all_regexes(v)]
    if isinstance(node, list):
        return [r for v in node for r in all_regexes(v)]
    return []
