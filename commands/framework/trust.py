"""Who may vouch for newcomers, and how many reports hide an item: the ``[trust]`` table.

Declared like ``[rules]`` (commands.framework.rules): each setting once, with its default,
the range a config may set it in, and what it means; bot/config.py checks both tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.framework.rules import rule

# The "month" of ``vouches_per_month``: a rolling window, the same length in every
# time zone and every month of the year.
VOUCH_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Trust:
    vouch_after_days: int = rule(30, 0, 3650, "how many days a member waits before vouching")
    vouches_per_month: int = rule(
        2, 1, 100, f"how many codes a member may vouch with in any {VOUCH_WINDOW_DAYS} days"
    )
    vouch_code_days: int = rule(30, 1, 365, "how long a code from `vouch` lasts, in days")
    reports_to_hide: int = rule(
        3, 1, 100, "how many distinct members' reports hide an item until a moderator decides"
    )
