"""Names a package exports, imported from their modules only when first used (PEP 562), so that importing
one light module of a package does not load its heavy siblings: `warrant why` reads a stored run without
the loader, the parser or the renderers it does not ask for."""

from __future__ import annotations

import importlib


def lazy_exports(module: str, exports: dict[str, tuple[str, ...]]):
    """`__getattr__` and `__dir__` for the package or module `module`, whose `exports` maps a module relative
    to its package (".loading") to the names it gives `module`. A name is imported on first use and kept in
    `module`'s namespace."""
    where = {name: source for source, names in exports.items() for name in names}

    def __getattr__(name: str):
        source = where.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        this = importlib.import_module(module)
        value = getattr(importlib.import_module(source, this.__package__), name)
        setattr(this, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(where) | set(vars(importlib.import_module(module))))

    return __getattr__, __dir__


class OnFirstUse:
    """A module imported when code first reaches into it (`proof_api.why(...)`): `warrant --version`, `--help`
    and commands that never need the module do not wait for it to load."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)
