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
