"""The spec as JSON: the same structure as the YAML, for programs."""
from __future__ import annotations

import json

from scanner.spec.model import Spec


def format_spec_json(spec: Spec) -> str:
    return json.dumps(spec.to_json(), indent=2, ensure_ascii=False) + "\n"
