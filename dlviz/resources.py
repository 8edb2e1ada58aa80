"""The one place that knows where dlviz's assets live, in the source tree or in a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def assets_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "assets"
    return Path(__file__).resolve().parent.parent / "assets"


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
