"""Proofs and why-not answers as JSON: the model itself, sorted keys, byte-stable."""

from __future__ import annotations

import json

from pydantic import BaseModel


def render_json(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
