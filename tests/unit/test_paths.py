"""Assets are found in the source tree, in a wheel install (as dlviz_assets) and in a bundle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "from dlviz import paths as r; print(r.assets_dir()); print(len(r.sample_images()), len(r.imagenet_classes()))"


def test_source_tree():
    from dlviz import paths

    assert paths.assets_dir() == ROOT / "assets"
    assert len(paths.sample_images()) >= 6 and len(paths.imagenet_classes()) == 1000


def test_wheel_layout_finds_the_dlviz_assets_package(tmp_path):
    """As pip lays out a wheel: the package dlviz/ and assets/ renamed dlviz_assets/, side by side."""
    shutil.copytree(ROOT / "dlviz", tmp_path / "dlviz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "assets", tmp_path / "dlviz_assets")
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    where, counts = proc.stdout.splitlines()
    assert Path(where) == tmp_path / "dlviz_assets" and counts == "6 1000"


def test_frozen_bundle_uses_meipass(tmp_path):
    shutil.copytree(ROOT / "assets", tmp_path / "assets")
    code = f"import sys; sys._MEIPASS = {str(tmp_path)!r}\n{PROBE}"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.splitlines()[0]) == tmp_path / "assets"
