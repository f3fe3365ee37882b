"""Keep credentials out of the spec: values copied from the site's code are scrubbed when they
look like a token or key, or sit under a param named like one. The spec names environment
variables for secrets and never holds a value."""
from __future__ import annotations

import re

REDACTED = "<redacted: looks like a secret>"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TOKEN = re.compile(r"""
    EAA[A-Za-z0-9]{20,}                                   # Meta (Graph API) access tokens
  | eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}                    # JWTs
  | AIza[\w-]{30,}                                        # Google API keys
  | \b(?:sk|rk|pk)_(?:live|test)_\w{8,}                   # payment-provider style secret keys
  | \b(?:ghp|gho|github_pat|xox[abprs])[-_]\w{10,}        # GitHub and Slack tokens
  | (?<![\w-])[0-9a-fA-F]{32,}(?![\w-])                   # hex keys and secrets
  | (?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{32,}(?![\w-])  # long random-looking strings
""", re.VERBOSE)
_SECRET_NAME = re.compile(r"(?i)(secret|token|passw|credential|authorization|^auth$|(api|access|private)[_-]?key)")


def _replace(match: re.Match) -> str:
    return match.group(0) if _UUID.match(match.group(0)) else "<redacted>"


def scrub_text(text: str) -> str:
    """Source text with every secret-looking run replaced (UUIDs are ids, not secrets)."""
    return _TOKEN.sub(_replace, text)


def looks_secret(text: str) -> bool:
    return scrub_text(text) != text


def scrub_value(value, name: str = ""):
    """A literal JSON value with secret-looking strings (or any string under a secret-like
    key) replaced by a marker."""
    if isinstance(value, str):
        return REDACTED if (_SECRET_NAME.search(name) and value) or looks_secret(value) else value
    if isinstance(value, list):
        return [scrub_value(v, name) for v in value]
    if isinstance(value, dict):
        return {k: scrub_value(v, k) for k, v in value.items()}
    return value
