"""The one place that knows where dlviz keeps things: the user folder and its caches, and the
bundled assets (in the source tree, an installed wheel or a frozen bundle).

It imports nothing of dlviz, so every layer may use it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


# ---------------------------------------------------------------------------- the user folder

def user_dir() -> Path:
    """Where dlviz keeps caches and its error log: $DLVIZ_HOME, else ~/.cache/dlviz."""
    return Path(os.environ.get("DLVIZ_HOME") or Path.home() / ".cache" / "dlviz")


def cache_dir(name: str) -> Path:
    """One cache's folder under the user folder: "topimages", "featurevis", "features", "numba"."""
    return user_dir() / name


def error_log() -> Path:
    return user_dir() / "errors.log"


# ---------------------------------------------------------------------------- assets

def assets_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "assets"
    source_tree = Path(__file__).resolve().parent.parent / "assets"
    if source_tree.is_dir():
        return source_tree
    import importlib.util  # a wheel install: assets/ is the (namespace) package dlviz_assets

    spec = importlib.util.find_spec("dlviz_assets")
    if spec is None or not spec.submodule_search_locations:
        return source_tree  # not installed either: the error names the expected folder
    return Path(list(spec.submodule_search_locations)[0])


def asset(*parts: str) -> Path:
    return assets_dir().joinpath(*parts)


def sample_images() -> list[Path]:
    """The bundled sample photos, sorted by name."""
    folder = asset("samples")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})


def default_image() -> Path:
    return asset("samples", "chelsea.png")


def sample_video() -> Path:
    """A 9 s pan and zoom over the sample photos (tools/make_sample_video.py), for `dlviz --video`."""
    return asset("video", "tour.mp4")


def imagenet_classes() -> list[str]:
    return asset("imagenet_classes.txt").read_text(encoding="utf-8").splitlines()
