import pytest

from scanner.crawl import BrowserNotFound, find_browser


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium; skipped when none is installed")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium the browser tests drive; skips them where there is none."""
    try:
        return find_browser(None)
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
