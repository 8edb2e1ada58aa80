"""Files opened lately, newest first, kept in the window's settings: images and sessions."""

from __future__ import annotations

from pathlib import Path

MAX_RECENT = 10


class RecentFiles:
    def __init__(self, settings, key: str, limit: int = MAX_RECENT):
        self.settings, self.key, self.limit = settings, key, limit

    def add(self, path) -> None:
        """`path` first; one entry a file, however it was named."""
        path = str(Path(path).resolve())
        self.settings.setValue(self.key, ([path] + [p for p in self.entries() if p != path])[:self.limit])

    def entries(self) -> list[str]:
        value = self.settings.value(self.key, [])
        return [value] if isinstance(value, str) else list(value or [])

    def fill(self, menu, open_one, empty: str) -> None:
        """The entries as a menu, each opened with `open_one(path)`; `empty` when there are none."""
        for entry in self.entries():
            menu.addAction(entry, lambda p=entry: open_one(p))
        if menu.isEmpty():
            menu.addAction(empty).setEnabled(False)
