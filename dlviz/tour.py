"""Tours: a list of saved views (steps), each with a caption, played one after another in a lecture.

Plain Python, no Qt. A step's view is what `Session.to_dict` gives (without the version and the
tours), so a step brings back everything a saved session does. A saved session holds its tours
under "tours"; a tour this version cannot read is kept as it was and written back unchanged.

Paths in a saved session are written relative to the session file where they can be
(`relative_paths`), so a folder holding a talk's session and its pictures can be moved or copied
to another machine; `absolute_paths` turns them back when the file is read.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

# Where a saved view keeps file and folder names: (section, key) or (section, part, key).
PATH_FIELDS = (
    ("input", "path"),
    ("model", "weights"),
    ("model", "labels"),
    ("panes", "top images", "folder"),
    ("panes", "explorer", "folder_path"),
    ("panes", "explorer", "file_path"),
    ("panes", "explorer", "meta_path"),
)
NOT_A_VIEW = ("version", "tours")  # what a session file holds beside its view


@dataclass
class Step:
    view: dict  # a saved view (Session.to_dict without the version and tours)
    caption: str = ""

    def to_dict(self) -> dict:
        return {"caption": self.caption, "view": copy.deepcopy(self.view)}

    def describe(self) -> str:
        """A short line for a list: the input, the layer and unit, and the main view."""
        view = self.view
        source, panes = _part(view, "input"), _part(view, "panes")
        name = str(source.get("name") or Path(str(source.get("path") or "")).name or "no image")
        if isinstance(source.get("frame"), int):
            name += f" frame {source['frame']}"
        parts = [name, str(view.get("layer") or "?"), f"unit {view.get('unit', 0)}"]
        if isinstance(_part(panes, "window").get("view"), str):
            parts.append(_part(panes, "window")["view"])
        if _part(panes, "explorer").get("open") is True:
            parts.append("explorer")
        return " · ".join(parts)


def _part(data: dict, key: str) -> dict:
    """`data[key]` where it is a dict (a hand-edited file may hold anything), else an empty one."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


@dataclass
class Tour:
    name: str = "Tour"
    steps: list[Step] = field(default_factory=list)

    def add(self, view: dict, caption: str = "", at: int | None = None) -> int:
        """A new step from a view, after step `at` (at the end when None); returns its index."""
        index = len(self.steps) if at is None else min(max(at + 1, 0), len(self.steps))
        self.steps.insert(index, Step(view_only(view), caption))
        return index

    def replace(self, index: int, view: dict) -> None:
        self.steps[index].view = view_only(view)

    def move(self, index: int, to: int) -> int:
        """Step `index` moved to place `to` (kept within the tour); returns where it is now."""
        to = min(max(to, 0), len(self.steps) - 1)
        self.steps.insert(to, self.steps.pop(index))
        return to

    def remove(self, index: int) -> Step:
        return self.steps.pop(index)

    def to_dict(self) -> dict:
        return {"name": self.name, "steps": [step.to_dict() for step in self.steps]}

    @staticmethod
    def from_dict(data) -> "Tour | None":
        """A tour from a saved session, or None if it is not one. Steps that are not views are left out."""
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            return None
        steps = [Step(view_only(item["view"]), item.get("caption") if isinstance(item.get("caption"), str) else "")
                 for item in data["steps"] if isinstance(item, dict) and isinstance(item.get("view"), dict)]
        name = data.get("name") if isinstance(data.get("name"), str) and data.get("name") else "Tour"
        return Tour(name, steps)


def view_only(data: dict) -> dict:
    """A copy of a saved session's view: without the version and the tours."""
    return {key: copy.deepcopy(value) for key, value in data.items() if key not in NOT_A_VIEW}


def read_tours(data: dict) -> tuple[list[Tour], list, int]:
    """The tours of a saved session: (those read, those this version cannot read, kept as they
    were, and how many steps were left out because they were not views)."""
    tours, unread, dropped = [], [], 0
    saved = data.get("tours")
    for item in saved if isinstance(saved, list) else []:
        tour = Tour.from_dict(item)
        if tour is None:
            unread.append(item)
        else:
            tours.append(tour)
            dropped += len(item["steps"]) - len(tour.steps)
    return tours, unread, dropped


# ---------------------------------------------------------------------------- paths

def _each_path(data: dict):
    """(the dict holding a path, its key) for every path in a view and in its tours' steps."""
    views = [data] + [step.get("view") for tour in data.get("tours") or [] if isinstance(tour, dict)
                      for step in tour.get("steps") or [] if isinstance(step, dict)]
    for view in views:
        for route in PATH_FIELDS:
            holder = view
            for key in route[:-1]:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and isinstance(holder.get(route[-1]), str) and holder[route[-1]]:
                yield holder, route[-1]


def relative_paths(data: dict, folder) -> dict:
    """A copy of a session dict whose paths are relative to `folder` (the session file's) where
    they can be: not across drives, and not names that are not paths (a torchvision model's)."""
    data = copy.deepcopy(data)
    for holder, key in _each_path(data):
        path = os.path.abspath(holder[key])  # one typed relative to the working folder (`dlviz cat.png`)
        try:
            holder[key] = Path(os.path.relpath(path, folder)).as_posix()
        except ValueError:  # another drive: the path stays whole
            holder[key] = path
    return data


def absolute_paths(data: dict, folder) -> dict:
    """`data` (changed in place and returned) with relative paths read from `folder`."""
    for holder, key in _each_path(data):
        path = Path(holder[key])
        if not path.is_absolute():
            holder[key] = os.path.normpath(Path(folder) / path)
    return data
