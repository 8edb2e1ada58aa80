"""Numbers and shapes as the panes write them."""

from __future__ import annotations

from html import escape


def shape_text(shape) -> str:
    return "×".join(str(s) for s in shape)


def percent(p: float) -> str:
    return f"{p:.1%}" if p >= 0.001 else "<0.1%"


def html_percent(p: float) -> str:
    """A probability for rich text: "<0.1%" would otherwise open a tag and swallow the rest."""
    return escape(percent(p))


def duration(seconds: float) -> str:
    """A time as a person says it: '40 s', '3 min', '1 h 20 min'."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
