"""The errors dlviz raises on purpose, caught by type: the worker, the command line and the window
show a `DlvizError` as it is (its text is one sentence for the user) and treat anything else as a bug.
"""

from __future__ import annotations


class DlvizError(Exception):
    """An error a user can cause or mend (a bad file, a missing download); str() is one sentence."""


class ModelError(DlvizError):
    """A model that cannot be loaded."""


class ImageError(DlvizError):
    """An image that cannot be shown."""


class VectorError(DlvizError):
    """A file of points that cannot be used."""


class EmbeddingError(DlvizError):
    """Input that cannot be embedded (too few points, NaN values, ...)."""


class Cancelled(Exception):
    """The caller asked the work to stop (see dlviz.core.progress); not an error to report."""


def sentence(exc: BaseException) -> str:
    """The first line of an error's text, for a status bar or one line on stderr."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
