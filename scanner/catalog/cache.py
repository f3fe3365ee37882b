"""Checked catalogs kept between runs: reading and validating the vendor files against the
schema costs a third of a second at every start, unpickling the result a hundredth.

Best effort: a cache that cannot be read or written is a miss, never an error. The key
covers the vendor files, the schema and the code that builds the catalog, so any change to
them checks the files again. $PIXELMIGRATE_CACHE_DIR moves the cache; set empty, it is off.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_KEPT = 8
"""Catalogs kept (a custom --catalog directory has its own)."""


def _directory() -> Path | None:
    configured = os.environ.get("PIXELMIGRATE_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory
        return None
    return base / "pixelmigrate"


def cache_key(files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256(sys.version.encode())
    code = sorted(_HERE.glob("*.py")) + [_HERE / "schema.json", _HERE.parent / "model.py"]
    for name, data in [(p.name, p.read_bytes()) for p in code] + files:
        digest.update(b"%s\0%d\0" % (name.encode(), len(data)))
        digest.update(data)
    return digest.hexdigest()[:32]


def read_cached(key: str) -> object | None:
    directory = _directory()
    if directory is None:
        return None
    try:
        return pickle.loads((directory / f"catalog-{key}.pickle").read_bytes())
    except Exception:  # missing, truncated, or written by another version: a miss
        return None


def write_cached(key: str, value: object) -> None:
    directory = _directory()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".catalog-", delete=False) as handle:
            handle.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(handle.name, directory / f"catalog-{key}.pickle")
        older = sorted(directory.glob("catalog-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[_KEPT:]
        for path in older:
            path.unlink()
    except OSError:
        return
