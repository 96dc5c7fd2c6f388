"""Errors of the storage layer that the command line reports (importable without SQLAlchemy)."""

from __future__ import annotations


class DatabaseUrlError(ValueError):
    """The configured database URL cannot be used; the message says what to write."""


class DatabaseUnavailable(Exception):
    """The database cannot be opened, reached or written; the message, one line, names it
    (a password never) and says what to check."""
