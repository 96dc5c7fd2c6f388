"""The movement's rules, from the ``[rules]`` config table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    pitch_max_chars: int = 140
    pitches_per_day: int = 5
    launch_upvotes: int = 25
    doc_max_chars: int = 20_000
    petition_max_chars: int = 2_000
    say_max_chars: int = 400
    name_max_chars: int = 80
    registration_failures_per_hour: int = 5
    link_code_minutes: int = 60
    listing_size: int = 10

    def upvotes_needed(self, up: int, down: int) -> int:
        """How many more upvotes an idea needs to launch (0 = it qualifies)."""
        return max(self.launch_upvotes - up, down + 1 - up, 0)
