"""`dlviz shot --session FILE`: a saved session drawn without a screen."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from clirun import cli, user_error


def test_a_session_shot_is_the_shot_of_what_it_holds(tmp_path, samples):
    session = {"version": 1, "model": {"name": None}, "input": {"kind": "file", "path": str(samples / "coffee.png")},
               "layer": "blocks.3", "unit": 0, "view": {"gamma": 1.0, "cmap": "ember"}, "panes": {}}
    (tmp_path / "coffee.dlviz").write_text(json.dumps(session), encoding="utf-8")
    direct = cli("shot", samples / "coffee.png", "--layer", "blocks.3", "--size", "1000x700", "--out", tmp_path / "a.png")
    saved = cli("shot", "--session", tmp_path / "coffee.dlviz", "--size", "1000x700", "--out", tmp_path / "b.png")
    assert direct.returncode == 0 and saved.returncode == 0, direct.stderr + saved.stderr
    a, b = (np.asarray(Image.open(tmp_path / name).convert("RGB")) for name in ("a.png", "b.png"))
    panes = slice(0, 700 - 40)  # above the status bar, whose timings differ
    assert np.array_equal(a[panes], b[panes])


def test_a_broken_session_file_is_one_sentence(tmp_path):
    (tmp_path / "broken.dlviz").write_text("{\"version\": 1, \"lay", encoding="utf-8")
    user_error(cli("shot", "--session", tmp_path / "broken.dlviz", "--out", tmp_path / "x.png"), "broken.dlviz", "not JSON")
    user_error(cli("shot", "--out", tmp_path / "x.png"), "--session")
    (tmp_path / "fine.dlviz").write_text("{\"version\": 1}", encoding="utf-8")
    user_error(cli("shot", "--session", tmp_path / "fine.dlviz", "--layer", "blocks.3", "--out", tmp_path / "x.png"),
               "--layer and --session")
