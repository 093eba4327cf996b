"""Warrant: rules and evidence, evaluated as Datalog, with a proof for every conclusion.

The pipeline, one subpackage per stage:
syntax (text -> AST) -> check (diagnostics) -> eval (SQL over the store) ->
proof (derivations -> proof model) -> renderers. store/ holds the case file.
"""

__version__ = "0.1.0"
