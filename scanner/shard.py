"""A stable split of a site over the jobs of a CI matrix (`scan --shard K/N`, `crawl --shard K/N`)."""
from __future__ import annotations

import hashlib

Shard = tuple[int, int]
"""(k, n): part k of n, 1-based."""


def in_shard(key: str, shard: Shard) -> bool:
    """Stable across machines and runs: the part depends on the key (a file's relative
    path, a page's path and query) alone."""
    k, n = shard
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % n == k - 1
