"""Serving a directory of built HTML on 127.0.0.1 for the crawl.

A file may carry extra response headers in a sidecar `<file>.headers` (one `Name: value`
per line, e.g. `Set-Cookie: sid=1; Path=/`), so a static fixture can exercise
Set-Cookie attribution; sidecars themselves are not served.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from pathlib import Path
from typing import Iterator

HEADERS_SUFFIX = ".headers"


class DirectoryHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus sidecar headers, silent, no caching surprises."""

    def send_head(self):
        if self.path.split("?", 1)[0].endswith(HEADERS_SUFFIX):
            self.send_error(404)
            return None
        return super().send_head()

    def end_headers(self) -> None:
        served = self.translate_path(self.path)
        if os.path.isdir(served):
            served = os.path.join(served, "index.html")
        sidecar = served + HEADERS_SUFFIX
        if os.path.isfile(sidecar):
            with open(sidecar, encoding="utf-8") as lines:
                for line in lines:
                    name, sep, value = line.partition(":")
                    if sep and name.strip():
                        self.send_header(name.strip(), value.strip())
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve_directory(root: str | os.PathLike,
                    handler: type[DirectoryHandler] = DirectoryHandler) -> Iterator[str]:
    """Serve root on an ephemeral 127.0.0.1 port in a background thread; yields the base URL."""
    bound = functools.partial(handler, directory=str(Path(root).resolve()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), bound)
    thread = threading.Thread(target=server.serve_forever, name="pixelmigrate-serve", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
