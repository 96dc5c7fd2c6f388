"""Errors of the storage layer that the command line and the invoker report (importable
without SQLAlchemy)."""

from __future__ import annotations


class DatabaseUrlError(ValueError):
    """The configured database URL cannot be used; the message says what to write."""


class DatabaseUnavailable(Exception):
    """The database cannot be opened, reached or written; the message, one line, names it
    (a password never) and says what to check."""


class CommitInDoubt(Exception):
    """The connection was lost while the transaction was being committed: the server may
    have committed it or not. Running the same change again could do it twice."""
