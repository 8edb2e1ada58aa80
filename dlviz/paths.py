"""The one place that knows where dlviz's assets live, in the source tree or in a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path


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


def imagenet_classes() -> list[str]:
    return asset("imagenet_classes.txt").read_text(encoding="utf-8").splitlines()
