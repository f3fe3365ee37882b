import pytest

from scanner.crawl import BrowserNotFound, find_browser


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium; skipped when none is installed")


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """The catalogs the tests check (and break) stay out of the user's cache; the CLI runs
    the tests start inherit the variable."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PIXELMIGRATE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium the browser tests drive; skips them where there is none."""
    try:
        return find_browser(None)
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
