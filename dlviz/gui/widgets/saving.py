"""Writing a file the user chose in a dialog: a sentence in the status bar once it is written, and
one sentence, never a traceback, when it cannot be."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from dlviz.core.errors import DlvizError


def write_for_user(path, write: Callable[[], object], say, done: str | None = None) -> bool:
    """Run `write()`, which writes `path`, and say `done` (by default "Saved NAME."); or say why the
    file could not be written: a `DlvizError`'s sentence, an `OSError`'s reason, or nothing more
    when `write()` returns False (Qt's `save` does). Returns whether the file was written."""
    name = Path(path).name
    try:
        written = write()
    except DlvizError as exc:
        say(str(exc), error=True)
        return False
    except OSError as exc:
        say(f"Could not write {name} ({exc.strerror or exc}).", error=True)
        return False
    if written is False:
        say(f"Could not write {name}.", error=True)
        return False
    say(done or f"Saved {name}.")
    return True
