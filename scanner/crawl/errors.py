"""Errors that end a crawl before it starts; str() is the one line to show the user."""
from __future__ import annotations


class CrawlError(Exception):
    """The crawl cannot run: a bad target, an unreadable resume database, no browser."""


class BrowserNotFound(CrawlError):
    """No usable Chromium."""
