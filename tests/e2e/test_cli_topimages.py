"""`dlviz topimages`: crops and an index that agree with each other; one-line user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path, *args):
    env = dict(os.environ, DLVIZ_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_topimages_writes_crops_and_index(tmp_path, samples):
    out = tmp_path / "top"
    proc = _run(tmp_path, "topimages", samples, "--layer", "blocks.3", "--out", out, "--k", "2", "--units", "0-2,7")
    assert proc.returncode == 0, proc.stderr
    index = json.loads((out / "index.json").read_text())
    assert sorted(index["units"], key=int) == ["0", "1", "2", "7"]
    field = index["receptive_field_px"]
    assert 16 <= field <= 224
    for rows in index["units"].values():
        assert [r["rank"] for r in rows] == [1, 2]
        assert rows[0]["activation"] >= rows[1]["activation"]
        with Image.open(out / rows[0]["crop"]) as crop:
            assert max(crop.size) <= field + 1
    # A second run reads the scan from the cache under DLVIZ_HOME.
    assert any((tmp_path / "home" / "topimages").glob("top-*.npz"))


def test_topimages_user_errors(tmp_path, samples):
    for args, words in (
        (("topimages", tmp_path / "nothing", "--layer", "blocks.3", "--out", tmp_path / "o"), "is not a folder"),
        (("topimages", samples, "--layer", "nope", "--out", tmp_path / "o"), "no layer 'nope'"),
        (("topimages", samples, "--layer", "blocks.3", "--out", tmp_path / "o", "--units", "5000"), "does not exist"),
    ):
        proc = _run(tmp_path, *args)
        assert proc.returncode == 2
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert lines == [lines[-1]] and lines[0].startswith("error:") and words in lines[0], proc.stderr


def test_topimages_reads_class_subfolders(tmp_path, samples):
    import shutil

    data = tmp_path / "data"
    for name in ("cats/chelsea.png", "cups/coffee.png"):
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(samples / Path(name).name, data / name)
    proc = _run(tmp_path, "topimages", data, "--layer", "blocks.3", "--out", tmp_path / "top", "--k", "2", "--units", "0")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads((tmp_path / "top" / "index.json").read_text())["units"]["0"]
    assert sorted(row["image"] for row in rows) == ["cats/chelsea.png", "cups/coffee.png"]
    empty = tmp_path / "empty" / "inner"
    empty.mkdir(parents=True)
    proc = _run(tmp_path, "topimages", empty.parent, "--layer", "blocks.3", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "holds no images (.png, .jpg" in proc.stderr and "subfolders" in proc.stderr
