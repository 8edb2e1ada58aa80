"""What the user is looking at: the model, the input, its recorded activations, the layer, the unit
and how they are shown.

Plain Python, no Qt: the window's panes listen to the session's signals and ask it to change (they
never talk to each other), and the command line can read a saved session without a window.

`to_dict()` turns everything that can be saved into a versioned dict of plain values (strings,
numbers, lists, dicts), each pane's options included; `read()` checks such a dict and brings an
older one up to date, and `apply()` puts its view back once its model and input are loaded.
"""

from __future__ import annotations

import copy
import math
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from dlviz.core.errors import DlvizError
from dlviz.core.files import check_file, write_atomic
from dlviz.core.mosaic import COLORMAPS, CONTRASTS, GAMMAS
from dlviz.core.preprocess import FITS
from dlviz.core.wording import how_many
from dlviz.tour import Tour, absolute_paths, read_tours, relative_paths

VERSION = 1


class Signal:
    """Slots called in the order they were connected, on the thread that emits (the GUI thread)."""

    def __init__(self):
        self._slots: list[Callable] = []

    def connect(self, slot: Callable) -> None:
        self._slots.append(slot)

    def disconnect(self, slot: Callable) -> None:
        self._slots.remove(slot)

    def emit(self, *args) -> None:
        """Call every slot; a bug in one is reported (sys.excepthook) and the others still run."""
        for slot in list(self._slots):
            try:
                slot(*args)
            except Exception:
                sys.excepthook(*sys.exc_info())


class SessionError(DlvizError):
    """A saved session that cannot be read."""


@dataclass(frozen=True)
class ModelSpec:
    """Which model to load: the bundled one (all None), a torchvision name, or a weights file."""

    name: str | None = None
    weights: str | None = None
    labels: str | None = None

    def describe(self) -> str:
        if self.weights:
            return Path(self.weights).name
        return self.name or "the bundled EfficientNet-Lite0"

    def to_dict(self) -> dict:
        return {"name": self.name, "weights": self.weights, "labels": self.labels}

    @staticmethod
    def of(name=None, weights=None, labels=None) -> "ModelSpec":
        """The spec for a load's arguments (the weights and labels as paths or text)."""
        return ModelSpec(name, str(weights) if weights else None, str(labels) if labels else None)

    @staticmethod
    def from_dict(data) -> "ModelSpec":
        data = data if isinstance(data, dict) else {}
        return ModelSpec(*(_text(data.get(key)) for key in ("name", "weights", "labels")))


@dataclass(frozen=True)
class InputSource:
    """Where the input comes from: a file, pasted data (which a saved session cannot bring back),
    or a frame of a live source: a video, a folder played as a slideshow, or the camera."""

    kind: str  # "file", "pasted", or one of LIVE_KINDS
    path: Path | None = None
    name: str = ""
    frame: int | None = None  # a live frame's number in its source

    @property
    def live(self) -> bool:
        return self.kind in LIVE_KINDS

    @staticmethod
    def of(path, name: str | None = None) -> "InputSource":
        if path is None:
            return InputSource("pasted", None, name or "pasted image")
        path = Path(path)
        return InputSource("file", path, name or path.name)

    def to_dict(self) -> dict:
        data = {"kind": self.kind, "path": str(self.path) if self.path else None, "name": self.name}
        if self.frame is not None:
            data["frame"] = self.frame
        return data

    @staticmethod
    def from_dict(data) -> "InputSource | None":
        """A file, or a frame of a video or slideshow (what a saved session can bring back)."""
        if not isinstance(data, dict) or data.get("kind") not in ("file", "video", "slideshow") or not _text(data.get("path")):
            return None
        if data["kind"] == "file":
            return InputSource.of(data["path"], _text(data.get("name")))
        frame = data.get("frame")
        frame = frame if isinstance(frame, int) and not isinstance(frame, bool) and frame >= 0 else 0
        path = Path(data["path"])
        return InputSource(data["kind"], path, _text(data.get("name")) or path.name, frame)


LIVE_KINDS = ("video", "slideshow", "camera")


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


class Session:
    """The state of the toolbox window; `model_changed`, `image_changed`, `forward_changed`,
    `layer_changed`, `unit_changed` and `view_changed` say what changed."""

    def __init__(self):
        self.model_changed, self.image_changed, self.forward_changed = Signal(), Signal(), Signal()
        self.layer_changed, self.unit_changed, self.view_changed = Signal(), Signal(), Signal()
        self.model = None  # dlviz.core.models.LoadedModel
        self.model_spec = ModelSpec()
        self.model_version = 0  # goes up with every model loaded
        self.rgb: np.ndarray | None = None
        self.preview: np.ndarray | None = None  # the photo as drawn: itself, or a smaller copy of a huge one
        self.input: InputSource | None = None
        self.input_version = 0  # goes up with every new image (every frame, once input is live)
        self.result = None  # dlviz.work.toolbox.ForwardResult of (model, rgb)
        self.layer: str | None = None
        self.unit = 0
        self.contrast = 0.0  # 0: one scale per layer, 1: one per channel
        self.gamma = 1.0
        self.cmap = "ember"
        self.opacity = 0.6
        self.fit = "crop"  # the model sees the centre square ("crop") or the whole photo squeezed ("stretch")
        self.render_ms = 0.0
        self.missing_layer: str | None = None  # asked for at start but not in the model
        self._unit_is_fresh = False  # the unit was reset before activations existed
        self._parts: dict[str, tuple[Callable[[], dict], Callable[[dict], None]]] = {}
        self._unknown: dict = {}  # fields of a saved session this version does not know: saved again as they were
        self.tours: list[Tour] = []  # the window plays and edits the first
        self._unread_tours: list = []  # tours of a saved session this version cannot read: saved again as they were

    # ---------------------------------------------------------------- derived
    @property
    def image_path(self) -> Path | None:
        return self.input.path if self.input else None

    @property
    def image_name(self) -> str:
        return self.input.name if self.input else ""

    def layer_info(self):
        if self.model is None or self.layer is None:
            return None
        try:
            return self.model.layer(self.layer)
        except KeyError:
            return None

    def activation(self) -> np.ndarray | None:
        """The recorded output of the selected layer for the current image."""
        if self.result is None or self.layer is None:
            return None
        act = self.result.forward.activations.get(self.layer)
        if act is not None and act.ndim == 3 and act.shape[1:] == (1, 1):
            act = act.reshape(-1)  # a pooled C×1×1 output is one value per unit
        return act

    def unit_count(self) -> int:
        act = self.activation()
        if act is None:
            return 0
        return act.shape[0] if act.ndim != 2 else 1

    def is_output_layer(self) -> bool:
        """True where units are classes: a vector as long as the label list."""
        act = self.activation()
        labels = self.model.labels if self.model else None
        return act is not None and act.ndim == 1 and bool(labels) and act.shape[0] == len(labels)

    def displayable_layers(self) -> list[str]:
        if self.model is None:
            return []
        if not self.model.hookable:
            return ["output"]
        shown = [info for info in self.model.layers if info.kind in ("map", "vector")]
        return [info.name for info in sorted(shown, key=lambda info: info.finish)]

    def output_layer(self) -> str | None:
        """The last layer whose units are the classes."""
        model = self.model
        count = len(model.labels or []) if model else 0
        for name in reversed(self.displayable_layers()):
            shape = (count,) if name == "output" else model.layer(name).shape
            if shape == (count,):
                return name
        return None

    # ---------------------------------------------------------------- changes
    def set_model(self, loaded, layer: str | None = None, spec: ModelSpec | None = None) -> None:
        if loaded.preprocess.fit != self.fit:  # a copy: jobs still running keep the model they were given
            loaded = copy.copy(loaded)
            loaded.preprocess = replace(loaded.preprocess, fit=self.fit)
        self.model = loaded
        self.model_spec = spec or self.model_spec
        self.model_version += 1
        self.result = None
        names = self.displayable_layers()
        requested = layer
        if layer not in names:
            layer = loaded.start_layer
        self.layer = layer
        self.unit = 0
        self._unit_is_fresh = True
        self.missing_layer = requested if requested and requested != layer else None
        self.model_changed.emit()
        self.layer_changed.emit()

    def set_image(self, rgb: np.ndarray, source: InputSource, preview: np.ndarray | None = None,
                  result=None) -> None:
        """A new photo; `preview` is the copy the window draws (see `core.images.preview`), made
        off the GUI thread by whoever loaded the photo (default: the photo itself). `result` is
        its forward pass when it comes with it (a live frame): in place before anyone hears."""
        self.rgb, self.input = rgb, source
        self.preview = rgb if preview is None else preview
        self.input_version += 1
        self.result = result
        self.image_changed.emit()

    def set_frame(self, rgb: np.ndarray, source: InputSource, preview: np.ndarray, result) -> None:
        """A live frame and its forward pass, on screen together: every pane shows the same frame.
        The activations are in place before anyone hears of the frame, so no pane takes its
        picture off for a moment as if there were none."""
        self.set_image(rgb, source, preview, result)
        self.set_result(result)

    def set_result(self, result) -> None:
        self.result = result
        if self._unit_is_fresh:
            self.unit = self._first_unit()
            self._unit_is_fresh = False
        self.unit = min(self.unit, max(self.unit_count() - 1, 0))
        self.forward_changed.emit()

    def set_labels(self, labels: list[str]) -> None:
        self.model.labels = labels
        self.forward_changed.emit()  # every name on screen is drawn again

    def set_layer(self, name: str) -> None:
        if name == self.layer or name not in self.displayable_layers():
            return
        self.layer = name
        self.unit = self._first_unit()
        self.layer_changed.emit()
        self.unit_changed.emit()

    def _first_unit(self) -> int:
        """Where the cursor lands on a layer: the top class on the output, unit 0 elsewhere."""
        if self.is_output_layer():
            return int(np.argmax(self.activation()))
        return 0

    def step_layer(self, step: int) -> None:
        """The next (or previous) layer in the order data flows, one stop per output: layers that
        output the very same tensor (a container returning its last part's) are one stop, at the
        layer that produced it."""
        names = self.displayable_layers()
        stops = [name for name in names if self._output_of(name) == name] or names
        if not stops:
            return
        here = self._output_of(self.layer)
        if here in stops:
            self.set_layer(stops[min(max(stops.index(here) + step, 0), len(stops) - 1)])
        else:  # its output came from a layer that is not shown: a plain step
            index = names.index(self.layer) if self.layer in names else 0
            self.set_layer(names[min(max(index + step, 0), len(names) - 1)])

    def _output_of(self, name: str | None) -> str | None:
        """The layer that first produced `name`'s output tensor (itself, most often)."""
        try:
            info = self.model.layer(name)
        except (AttributeError, KeyError):
            return name
        return info.same_as or name

    def set_unit(self, unit: int) -> None:
        count = self.unit_count()
        unit = min(max(int(unit), 0), max(count - 1, 0))
        if unit != self.unit:
            self.unit = unit
            self.unit_changed.emit()

    def show_class(self, index: int) -> None:
        """Go to the output layer with class `index` as the unit."""
        layer = self.output_layer()
        if layer is not None:
            self.set_layer(layer)
            self.set_unit(index)

    def set_view(self, contrast=None, gamma=None, cmap=None, opacity=None) -> None:
        if contrast is not None:
            self.contrast = float(contrast)
        if gamma is not None:
            self.gamma = float(gamma)
        if cmap is not None:
            self.cmap = cmap
        if opacity is not None:
            self.opacity = float(opacity)
        self.view_changed.emit()

    def toggle_fit(self) -> None:
        """`0`: the centre square or the whole photo squeezed to a square. The model's input changes,
        so everything about it starts again, as for a new model."""
        self.fit = "stretch" if self.fit == "crop" else "crop"
        if self.model is not None:
            self.set_model(self.model, self.layer, self.model_spec)
        self.view_changed.emit()

    def cycle_gamma(self) -> None:
        self.set_view(gamma=_next(GAMMAS, self.gamma))

    def cycle_contrast(self) -> None:
        self.set_view(contrast=_next(CONTRASTS, self.contrast))

    # ---------------------------------------------------------------- saving
    def register(self, name: str, state: Callable[[], dict], restore: Callable[[dict], None]) -> None:
        """A part of the window (a pane, the explorer) whose options are saved under `name`."""
        self._parts[name] = (state, restore)

    def view_dict(self) -> dict:
        return {"contrast": self.contrast, "gamma": self.gamma, "cmap": self.cmap, "opacity": self.opacity,
                "fit": self.fit}

    def set_view_dict(self, view) -> None:
        """Apply a saved view, skipping values that are not what they should be (a hand-edited file)."""
        if not isinstance(view, dict):
            return
        cmap = view.get("cmap")
        if view.get("fit") in FITS and view["fit"] != self.fit:
            self.toggle_fit()
        self.set_view(contrast=number(view.get("contrast"), 0.0, 1.0), gamma=number(view.get("gamma"), 0.05, 1.0),
                      cmap=cmap if cmap in COLORMAPS else None, opacity=number(view.get("opacity"), 0.0, 1.0))

    def to_dict(self) -> dict:
        """Everything that can be saved, as plain values: the view, the tours, and the fields of
        the file it was opened from that this version does not know."""
        data = {"version": VERSION}  # first: a file cut short still says what it is
        data.update((key, value) for key, value in self._unknown.items() if key != "version")
        data.update(self.view_state())
        tours = [tour.to_dict() for tour in self.tours if tour.steps] + self._unread_tours
        if tours:
            data["tours"] = tours
        return data

    def view_state(self) -> dict:
        """What is on screen, as plain values (a tour's step)."""
        return {
            "model": self.model_spec.to_dict(),
            "input": self.input.to_dict() if self.input else None,
            "layer": self.layer,
            "unit": self.unit,
            "view": self.view_dict(),
            "panes": {name: state() for name, (state, _) in self._parts.items()},
        }

    def take_file(self, data: dict) -> list[str]:
        """Keep what a saved session (read with `read`) holds beside its view: its tours and the
        fields this version does not know, to be saved again. Returns what could not be read, in words."""
        self._unknown = {key: value for key, value in data.items() if key not in _KNOWN}
        self.tours, self._unread_tours, dropped = read_tours(data)
        problems = [how_many(len(self._unread_tours), "tour")] if self._unread_tours else []
        if dropped:
            problems.append(how_many(dropped, "tour step"))
        return problems

    @staticmethod
    def read(data) -> dict:
        """A saved session checked and brought up to this version, or SessionError (one sentence)."""
        if not isinstance(data, dict):
            raise SessionError("This is not a dlviz session: it holds no settings.")
        version = data.get("version")
        if not isinstance(version, int) or version < 1:
            raise SessionError("This is not a dlviz session: it has no version number.")
        if version > VERSION:
            raise SessionError(f"This session was saved by a newer dlviz (format {version}; this one reads up to {VERSION}).")
        return dict(data)

    def apply(self, data: dict) -> list[str]:
        """Put back the layer, unit, view and pane options of a saved view (a session read with
        `read`, or a tour's step), once its model and input are loaded. Returns what could not be
        put back, in words."""
        problems = []
        layer = data.get("layer")
        if isinstance(layer, str) and layer != self.layer:
            if layer in self.displayable_layers():
                self.set_layer(layer)
            else:
                problems.append(f"layer {layer}")
        unit = data.get("unit")
        if isinstance(unit, int) and not isinstance(unit, bool):
            self.set_unit(unit)
        self.set_view_dict(data.get("view"))
        panes = data.get("panes") if isinstance(data.get("panes"), dict) else {}
        for name, (_, restore) in self._parts.items():
            if isinstance(panes.get(name), dict):
                try:
                    restore(panes[name])
                except Exception:  # a value no check foresaw: that part keeps its own, the rest go on
                    sys.excepthook(*sys.exc_info())
                    problems.append(f"{name} options")
        return problems


_KNOWN = ("version", "model", "input", "layer", "unit", "view", "panes", "tours")


def read_file(path) -> dict:
    """A saved session file, read and checked (`Session.read`), its relative paths read from the
    file's folder; or SessionError naming the file."""
    import json

    path = Path(path)
    check_file(path, SessionError, what="session file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"Could not read the session {path.name} ({getattr(exc, 'strerror', None) or exc}).") from exc
    problems = []
    try:
        data = json.loads(text)
    except ValueError as exc:
        data = _salvage(text)  # a file cut short (a full disk, a copy stopped half way): what it holds
        if data is None or not any(key in data for key, _ in _PARTS):  # nothing worth opening
            raise SessionError(f"{path.name} is not a dlviz session: it is not JSON (line {getattr(exc, 'lineno', '?')})."
                               ) from exc
        lost = [words for key, words in _PARTS if key not in data]
        problems.append(f"{path.name} is cut short at line {exc.lineno}: what comes before is open"
                        + (f"; its {', '.join(lost)} could not be read." if lost else ", the rest could not be read."))
    try:
        data = SessionFile(Session.read(data))
    except SessionError as exc:
        raise SessionError(f"{path.name}: {exc}") from exc
    data.problems = problems
    return absolute_paths(data, path.resolve().parent)


class SessionFile(dict):
    """A session read from a file, with `problems`: what could not be read, in sentences."""

    problems: list[str] = []


# What the parts of a session are called, for a sentence about those a damaged file lost.
_PARTS = (("model", "model"), ("input", "input"), ("layer", "layer"), ("unit", "unit"), ("view", "view settings"),
          ("panes", "pane options"))


def _salvage(text: str, tries: int = 400) -> dict | None:
    """The longest beginning of a cut-short JSON object that parses once its open brackets are
    closed, tried at the last `tries` places where a value ends; None if there is none."""
    import json

    closers, ends, in_text, escaped = [], [], False, False
    for index, char in enumerate(text):
        if in_text:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_text = False
            continue
        if char == '"':
            in_text = True
        elif char in "{[":
            closers.append("}" if char == "{" else "]")
        elif char in "}]" and closers:
            closers.pop()
            ends.append((index + 1, "".join(reversed(closers))))
        elif char == ",":
            ends.append((index, "".join(reversed(closers))))
    for end, close in reversed(ends[-tries:]):
        try:
            data = json.loads(text[:end] + close)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


def save_file(data: dict, path) -> None:
    """Write a session (from `Session.to_dict`), its paths relative to the file's folder where they
    can be. The file is written whole beside the old one and then takes its place, so a full disk
    or a crash never leaves half a session behind."""
    import json

    path = Path(path)
    data = relative_paths(data, path.resolve().parent)
    text = _dumps(data) + "\n"
    write_atomic(Path(path), lambda stream: stream.write(text), binary=False)


def _dumps(data) -> str:
    """JSON with an indent, but each list of numbers (an (x, y), a layout's point) on one line: a
    saved layout stays small. The lists are swapped for marks (a number between NUL characters,
    which no caption, name or path holds), and the marks for the lists once the rest is written."""
    import json

    lists: list[str] = []

    def marked(value):
        if isinstance(value, dict):
            return {key: marked(item) for key, item in value.items()}
        if isinstance(value, list):
            if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                lists.append(json.dumps(value))
                return _Mark(len(lists) - 1)
            return [marked(item) for item in value]
        return value

    class Encoder(json.JSONEncoder):
        def default(self, value):
            return f"\0{value.index}\0" if isinstance(value, _Mark) else super().default(value)

    text = json.dumps(marked(data), indent=1, ensure_ascii=False, cls=Encoder)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: lists[int(m.group(1))], text)


class _Mark:
    def __init__(self, index: int):
        self.index = index


def number(value, low: float = -math.inf, high: float = math.inf) -> float | None:
    """A saved number brought within [low, high]; None for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return min(max(float(value), low), high)


def point(value) -> tuple[float, float] | None:
    """A saved (x, y): a list of two finite numbers; None for anything else."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    x, y = (number(v) for v in value)
    return None if x is None or y is None else (x, y)


def _next(steps, value):
    index = min(range(len(steps)), key=lambda i: abs(steps[i] - value))
    return steps[(index + 1) % len(steps)]
