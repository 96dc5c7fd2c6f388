"""How long an outage lasted, as the log says it."""

from __future__ import annotations

import pytest

from bot.durations import spoken


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0.4, "less than a second"),
        (1.4, "1 s"),
        (45, "45 s"),
        (119.4, "119 s"),
        (14 * 60 + 10, "14 min"),
        (3600, "60 min"),
        (2 * 3600, "2 h"),
        (2 * 3600 + 5 * 60, "2 h 5 min"),
        (47 * 3600 + 59 * 60, "47 h 59 min"),
        (3 * 86400, "3 d"),
        (3 * 86400 + 4 * 3600 + 20 * 60, "3 d 4 h"),
    ],
)
def test_a_duration_in_the_units_a_reader_needs(seconds: float, said: str) -> None:
    assert spoken(seconds) == said
