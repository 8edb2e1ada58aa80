"""What every command shares: the model and image options and their loading, the checks that turn
a wrong argument into one sentence, writing files, and progress on stderr.

Every user error is a `DlvizError`: `dlviz.cli.main` prints it as one line and exits 2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from dlviz.core.catalogue import DEVICES
from dlviz.core.errors import DlvizError
from dlviz.core.progress import Progress


def model_options(parser) -> None:
    parser.add_argument("--model", help="bundled 'efficientnet_lite0' (default), a torchvision classifier name, or the architecture of --weights")
    parser.add_argument("--weights", help="a local state_dict or TorchScript file")
    parser.add_argument("--labels", help="class names, one per line, for a model not trained on ImageNet")
    parser.add_argument("--device", choices=list(DEVICES), default="auto",
                        help="where the model runs: the best one present (auto, the default), cuda, mps or cpu")


class StderrProgress(Progress):
    """Progress on stderr: one line redrawn in place on a terminal, a line every 2 s in a log. Used
    as a context manager, it closes its line however the work ends.

    `only`: show only reports whose text starts with it (loading a model: just the download).
    `shown`: False for work too short to need a line (it then reports nothing)."""

    def __init__(self, label: str = "", only: str = "", shown: bool = True):
        self.label, self.only, self.shown = label, only, shown
        self.live = sys.stderr.isatty()
        self.drawn = False
        self.last = 0.0

    def report(self, fraction, text="", partial=None):
        if not self.shown or self.only and not text.startswith(self.only):
            return
        now = time.monotonic()
        if now - self.last < (0.1 if self.live else 2.0) and fraction < 1:
            return
        self.last = now
        line = f"{self.label}: {text}" if self.label and text else self.label or text
        line = f"{line} ({fraction:.0%})"
        if self.live:
            sys.stderr.write(f"\r{line[:100]:<100}")
            self.drawn = True
        elif fraction < 1:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def end(self) -> None:
        """Close a line drawn in place."""
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.drawn = False

    def __enter__(self) -> "StderrProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.end()


def say(text: str) -> None:
    """A note for the user that is not the command's output (that goes to stdout)."""
    print(text, file=sys.stderr)


def read_session(path) -> dict:
    """A saved session file (dlviz.session.read_file), what a damaged one lost said as notes."""
    from dlviz.session import read_file

    session = read_file(path)
    for problem in session.problems:
        say(f"note: {problem}")
    return session


def load_model(args):
    """The model that --model, --weights and --labels name (the bundled one by default)."""
    from dlviz.core.models import load_model as load

    with StderrProgress(only="downloading") as progress:
        loaded = load(args.model, args.weights, args.labels, progress=progress, device=getattr(args, "device", None))
    if loaded.device_note:
        say(f"note: {loaded.device_note}")
    return loaded


def load_image(path):
    from dlviz.core.images import load_image as load

    return load(path)


def check_layer(loaded, name: str, maps_only: bool = False) -> None:
    """A layer the model has (and, with `maps_only`, one with a C×H×W output)."""
    if name not in loaded.layer_names:
        raise DlvizError(loaded.no_layer(name))
    if maps_only and loaded.layer(name).kind != "map":
        shape = "×".join(map(str, loaded.layer(name).shape))
        raise DlvizError(f"layer '{name}' outputs {shape}, not a C×H×W map: pick a convolutional layer")


def hookable(loaded) -> None:
    if not loaded.hookable:
        raise DlvizError(f"{loaded.name} is a TorchScript archive: its layers cannot be hooked, so it cannot be explained")


def class_index(loaded, target: str | None, probs) -> int:
    """--class as an index or a name (see LoadedModel.find_class); the top class when not given."""
    import numpy as np

    if target is None:
        return int(np.argmax(probs))
    try:
        return loaded.find_class(target, len(probs))
    except DlvizError as exc:
        raise DlvizError(f"--class: {exc}") from exc


def out_path(value: str, suffixes=(".npy", ".png")) -> Path:
    """An output file whose suffix is one of `suffixes`, in a folder that exists."""
    out = Path(value)
    if out.suffix.lower() not in suffixes:
        raise DlvizError(f"--out must end in {' or '.join(suffixes)}, not '{out.suffix or out.name}'")
    if out.parent != Path("") and not out.parent.is_dir():
        raise DlvizError(f"the folder {out.parent} does not exist")
    return out


def check_folder(value: str) -> Path:
    """An output folder that is not a file (checked before any work is done)."""
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise DlvizError(f"--out {out} is a file, not a folder")
    return out


def out_folder(value: str) -> Path:
    """An output folder, made if needed."""
    out = check_folder(value)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DlvizError(f"could not create {out}: {exc.strerror or exc}") from exc
    return out


def save(out: Path, write) -> None:
    """Run `write()`; a failure to write becomes one sentence naming the file."""
    try:
        write()
    except OSError as exc:
        raise DlvizError(f"could not write {out}: {exc.strerror or exc}") from exc
