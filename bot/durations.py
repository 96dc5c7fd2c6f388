"""How long something lasted, as a log line says it: ``45 s``, ``14 min``, ``2 h 5 min``."""

from __future__ import annotations


def spoken(seconds: float) -> str:
    """``seconds`` rounded to what a reader needs: seconds under two minutes, minutes under
    two hours, then hours and minutes, and days and hours from two days on."""
    if seconds < 1:
        return "less than a second"
    if seconds < 120:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
