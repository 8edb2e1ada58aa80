"""`dlviz attend` run as a user runs it, in a subprocess (a few seconds each)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import dlviz.cli
from clirun import cli, user_error  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
COFFEE = ROOT / "assets" / "samples" / "coffee.png"

pytestmark = pytest.mark.skipif("attend" not in dlviz.cli.COMMANDS, reason="attend not wired into dlviz.cli yet")


@pytest.fixture(scope="module")
def pasted(tmp_path_factory) -> tuple[Path, tuple[int, int, int, int]]:
    """The espresso at 30% of a 1200×900 grey canvas, low left."""
    photo = Image.open(COFFEE).convert("RGB").resize((270, 180), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (1200, 900), (128, 128, 128))
    canvas.paste(photo, (165, 540))
    path = tmp_path_factory.mktemp("attend") / "canvas.png"
    canvas.save(path)
    return path, (165, 540, 435, 720)


def test_json_schema_boxes_and_files(pasted, tmp_path):
    path, paste = pasted
    out = tmp_path / "out"
    done = cli("attend", path, "--glimpses", "2", "--json", "--out", out)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"image", "full", "glimpses"}
    assert report["image"] == str(path) and set(report["full"]) == {"top"}
    assert 1 <= len(report["glimpses"]) <= 2
    for entry in [report["full"], *report["glimpses"]]:
        assert len(entry["top"]) == 5
        for row in entry["top"]:
            assert set(row) == {"index", "label", "prob"}
            assert isinstance(row["index"], int) and isinstance(row["label"], str) and isinstance(row["prob"], float)
    previous = [0, 0, 1200, 900]
    for entry in report["glimpses"]:
        x0, y0, x1, y1 = entry["box"]
        assert all(isinstance(v, int) for v in entry["box"])
        assert previous[0] <= x0 < x1 <= previous[2] and previous[1] <= y0 < y1 <= previous[3]
        previous = entry["box"]
    x0, y0, x1, y1 = report["glimpses"][0]["box"]
    assert x0 <= paste[0] + 20 and y0 <= paste[1] + 20 and x1 >= paste[2] - 20 and y1 >= paste[3] - 20
    assert report["glimpses"][-1]["top"][0]["label"] == "espresso"

    crops = sorted(p.name for p in out.glob("glimpse-*.png"))
    assert crops == [f"glimpse-{n}.png" for n in range(1, len(report["glimpses"]) + 1)]
    assert np.array(Image.open(out / "glimpse-1.png")).shape == (224, 224, 3)
    drawing = np.array(Image.open(out / "path.png"))
    assert drawing.shape == (900, 1200, 3)
    assert (drawing[:400, 700:] == 128).all()  # nothing drawn far from the photo
    assert (drawing != 128).any(axis=2)[500:760, 100:500].mean() > 0.2


def test_the_first_box_rule_can_be_chosen(pasted):
    """By default the first box goes around where the network fires (tight on the photo); with
    --first-map class --map-scale 1 it follows the whole canvas's top class, looser here."""
    path, paste = pasted

    def first_box(*options):
        done = cli("attend", path, "--glimpses", "1", "--json", *options)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["glimpses"][0]["box"]

    def area(box):
        return (box[2] - box[0]) * (box[3] - box[1])

    tight, loose = first_box(), first_box("--first-map", "class", "--map-scale", "1")
    assert area(tight) < 2.5 * area(paste) < area(loose)


def test_table_with_a_named_class(tmp_path):
    done = cli("attend", COFFEE, "--class", "cup", "--method", "layercam")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "600×400" in lines[0] and "layercam" in lines[0]
    assert lines[1].split()[0] == "full" and "espresso" in lines[1]
    assert lines[2].split()[0] == "1"


def test_bad_arguments_exit_2_with_one_line(tmp_path):
    user_error(cli("attend", COFFEE, "--glimpses", "0"), "--glimpses")
    (tmp_path / "notes.txt").write_text("not an image")
    user_error(cli("attend", tmp_path / "notes.txt"), "not an image")


def test_unknown_class_exits_2_with_one_line():
    # (an unknown --layer goes through the same check as `dlviz cam`, tested in test_cli_explain.py)
    user_error(cli("attend", COFFEE, "--class", "zebra crossing guard"), "no class named")
