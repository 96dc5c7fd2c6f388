"""The movement's rules, from the ``[rules]`` config table.

Each rule is declared once here: its default, the range a config may set it in, and what it
means (the config check names both when a value is out of range: bot/config.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def rule(default: int, low: int, high: int, means: str) -> int:
    return field(default=default, metadata={"range": (low, high), "means": means})


@dataclass(frozen=True)
class Rules:
    pitch_max_chars: int = rule(140, 1, 2000, "the longest pitch, in characters")
    pitches_per_day: int = rule(5, 1, 1000, "how many ideas a member may pitch a day")
    launch_upvotes: int = rule(25, 1, 1_000_000, "the upvotes an idea needs to launch")
    # Long-form work is written in the web editor; a chat line carries what its platform
    # does (an IRC line, a Discord form's 4000), whatever this says.
    doc_max_chars: int = rule(200_000, 1, 1_000_000, "the longest campaign document")
    petition_max_chars: int = rule(2_000, 1, 4000, "the longest petition (a Discord form's)")
    say_max_chars: int = rule(400, 1, 2000, "the longest `say` (Discord shows 2000)")
    name_max_chars: int = rule(80, 1, 100, "the longest name a member may show")
    letter_max_chars: int = rule(
        2_000, 1, 4000, "the longest letter a pledger writes to an action's target"
    )
    registration_failures_per_hour: int = rule(5, 1, 1000, "wrong codes allowed an hour")
    link_code_minutes: int = rule(60, 1, 10_080, "how long a link code lasts (a week at most)")
    listing_size: int = rule(10, 1, 50, "how many items a listing shows")
    reports_to_hide: int = rule(
        3, 1, 100, "how many distinct members' reports hide an item until a moderator decides"
    )

    def upvotes_needed(self, up: int, down: int) -> int:
        """How many more upvotes an idea needs to launch (0 = it qualifies)."""
        return max(self.launch_upvotes - up, down + 1 - up, 0)
