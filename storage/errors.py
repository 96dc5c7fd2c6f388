"""Errors of the storage layer that the command line reports (importable without SQLAlchemy)."""

from __future__ import annotations


class DatabaseUrlError(ValueError):
    """The configured database URL cannot be used; the message says what to write."""
