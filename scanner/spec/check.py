"""`pixelmigrate spec --check`: is a (hand-edited) spec still one the backend can implement?

Checks the structure against scanner/schemas/spec.schema.json, then what a schema cannot say:
example payloads against their vendor's payload schema in the catalog, debug flags that
contradict the mode, and values that look like secrets (the spec holds env var names only).
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from scanner.catalog import Catalog, default_catalog
from scanner.spec.model import LIVE
from scanner.spec.secrets import looks_secret

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: same result, much faster
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "spec.schema.json"
_MESSAGE_WIDTH = 200
# Keys whose values are file paths or documentation links, not data a secret could hide in.
_NOT_DATA = frozenset({"path", "docs"})


@dataclass(frozen=True, order=True)
class Problem:
    where: str
    """Slash-separated path in the spec, e.g. destinations/0/endpoint; (spec) for the whole file."""
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _where(parts) -> str:
    return "/".join(str(p) for p in parts) or "(spec)"


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= _MESSAGE_WIDTH else message[:_MESSAGE_WIDTH - 1] + "…"


def _parse(text: str):
    try:
        if text.lstrip().startswith(("{", "[")):
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"not YAML: {getattr(exc, 'problem', None) or exc}{at}") from None


def _secrets(value, parts: tuple) -> list[Problem]:
    if isinstance(value, str):
        return [Problem(_where(parts), "looks like a secret value: put it in an environment variable and name "
                                       "the variable instead")] if looks_secret(value) else []
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _secrets(v, parts + (i,))]
    if isinstance(value, dict):
        return [p for k, v in value.items() if k not in _NOT_DATA for p in _secrets(v, parts + (k,))]
    return []


def _destination_problems(destination: dict, index: int, mode: str, catalog: Catalog) -> list[Problem]:
    problems = []
    base = ("destinations", index)
    if mode == LIVE and destination["debug"]["active"]:
        problems.append(Problem(_where(base + ("debug", "active")), "true in a live spec: switch debug off"))
    if destination["debug"]["active"] and not destination["debug"]["available"]:
        problems.append(Problem(_where(base + ("debug", "active")), "true for a destination without a debug mechanism"))
    vendor = catalog.by_id.get(destination["vendor"])
    if vendor is None:
        return problems + [Problem(_where(base + ("vendor",)), f"unknown vendor {destination['vendor']!r}")]
    schema = vendor.server_side.payload_schema()
    if not schema:
        return problems
    validator = jsonschema.Draft202012Validator(schema)
    for e, event in enumerate(destination["events"]):
        for error in sorted(validator.iter_errors(event["example_payload"]), key=lambda err: list(err.path)):
            where = _where(base + ("events", e, "example_payload") + tuple(error.path))
            problems.append(Problem(where, f"{vendor.server_side.api}: {_short(error.message)}"))
    return problems


def check_spec(text: str, catalog: Catalog | None = None) -> list[Problem]:
    """Every problem of a spec, one per finding; an empty list for a spec that is fine."""
    try:
        data = _parse(text)
    except ValueError as exc:
        return [Problem("(spec)", str(exc))]
    errors = sorted(_validator().iter_errors(data), key=lambda err: (list(map(str, err.path)), err.message))
    problems = [Problem(_where(err.path), _short(err.message)) for err in errors]
    if problems:
        return problems  # the checks below rely on the structure
    catalog = catalog or default_catalog()
    for index, destination in enumerate(data["destinations"]):
        problems.extend(_destination_problems(destination, index, data["mode"], catalog))
    problems.extend(_secrets(data, ()))
    return problems
