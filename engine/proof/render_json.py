"""Proofs and why-not answers as JSON: the model itself, sorted keys, byte-stable; invisible characters
inside strings are written as \\u escapes (the same JSON value, safe on a terminal)."""

from __future__ import annotations

import json

from pydantic import BaseModel

from .escape import json_text


def render_json(model: BaseModel) -> str:
    return json_text(json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)) + "\n"
