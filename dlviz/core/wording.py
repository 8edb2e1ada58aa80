"""Counts as a sentence writes them: "1 point", "20,000 points". No Qt here."""

from __future__ import annotations


def how_many(n: int, noun: str, plural: str | None = None) -> str:
    """`n` with thousands separators and `noun` in the number it takes ("1 point", "2 points");
    `plural` for a noun that does not just take an s ("1 glimpse", "3 glimpses" need none)."""
    word = noun if n == 1 else (plural or noun + "s")
    return f"{n:,} {word}"
