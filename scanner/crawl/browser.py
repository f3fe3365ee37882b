"""Finding a Chromium to drive, and how to launch it."""
from __future__ import annotations

import os
import shutil
from typing import Callable

from scanner.crawl.errors import BrowserNotFound

ENV_VAR = "PIXELMIGRATE_CHROMIUM"
_SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Quiet, deterministic, and nothing phoning home on its own (updates, sync, QUIC probes).
LAUNCH_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
)


def installed(path: str | None) -> str | None:
    """path when it names an existing file (Playwright names its browser even when absent)."""
    return path if path and os.path.isfile(path) else None


def _playwright_chromium() -> str | None:
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            return installed(pw.chromium.executable_path)
    except Exception:  # no driver, or a driver that cannot start: just not this source
        return None


def _usable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def resolve_browser(explicit: str | None, bundled: Callable[[], str | None]) -> str:
    """find_browser with the Playwright lookup supplied: a running Playwright answers it
    without starting a second driver."""
    if explicit:
        if _usable(explicit):
            return explicit
        raise BrowserNotFound(f"browser not found or not executable: {explicit}")
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        if _usable(from_env):
            return from_env
        raise BrowserNotFound(f"${ENV_VAR} names no executable browser: {from_env}")
    found = bundled()
    if found:
        return found
    for name in _SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFound(
        "no Chromium found: install one (apt-get install chromium, or `playwright install chromium`), "
        f"or name it with --browser or ${ENV_VAR}")


def find_browser(explicit: str | None) -> str:
    """Chromium's path: the explicit option, then $PIXELMIGRATE_CHROMIUM, Playwright's own
    install, then chromium / google-chrome on PATH."""
    return resolve_browser(explicit, _playwright_chromium)
