"""`dlviz export SESSION --out DIR`: every tour step as a PNG for slides, made without a screen."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from clirun import ROOT, cli, user_error

SAMPLE_TOUR = ROOT / "assets" / "tours" / "first-lecture.dlviz"


def test_the_sample_tour_renders_every_step_at_twice_the_pixels(tmp_path):
    steps = json.loads(SAMPLE_TOUR.read_text(encoding="utf-8"))["tours"][0]["steps"]
    done = cli("export", SAMPLE_TOUR, "--out", tmp_path / "slides", "--size", "1280x720", "--scale", "2", timeout=600)
    assert done.returncode == 0, done.stderr
    pictures = sorted((tmp_path / "slides").glob("step-??.png"))
    assert [p.name for p in pictures] == [f"step-{k:02d}.png" for k in range(1, len(steps) + 1)]
    assert all(f"saved {p}" in done.stdout for p in pictures)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in pictures]
    assert all(image.shape == (1440, 2560, 3) for image in images)
    assert all(not np.array_equal(a, b) for a, b in zip(images, images[1:]))  # each step shows something else
    explorer = [p.name for p in (tmp_path / "slides").glob("*-explorer.png")]
    assert explorer == [f"step-{len(steps):02d}-explorer.png"]  # the step that opens the explorer
    assert "This plugin" not in done.stderr  # no Qt chatter for the user


def test_a_session_without_a_tour_or_a_missing_file_is_one_sentence(tmp_path):
    (tmp_path / "plain.dlviz").write_text(json.dumps({"version": 1, "layer": "blocks.3"}), encoding="utf-8")
    user_error(cli("export", tmp_path / "plain.dlviz", "--out", tmp_path / "out"), "plain.dlviz", "no tour steps")
    user_error(cli("export", tmp_path / "nothing.dlviz", "--out", tmp_path / "out"), "nothing.dlviz")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    user_error(cli("export", SAMPLE_TOUR, "--out", tmp_path / "file"), "is a file")
    assert not (tmp_path / "out").exists()  # nothing made for a session that has nothing to export
