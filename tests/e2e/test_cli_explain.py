"""`dlviz cam` and `dlviz backprop` run as a user runs them, in a subprocess (a few seconds each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import dlviz.cli
from clirun import cli, user_error  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHELSEA = ROOT / "assets" / "samples" / "chelsea.png"

pytestmark = pytest.mark.skipif(
    "cam" not in dlviz.cli.COMMANDS or "backprop" not in dlviz.cli.COMMANDS,
    reason="cam/backprop not wired into dlviz.cli yet",
)


def test_cam_npy_and_png(tmp_path):
    npy = tmp_path / "cam.npy"
    done = cli("cam", CHELSEA, "--class", "Tiger Cat", "--out", npy)
    assert done.returncode == 0, done.stderr
    assert "tiger cat (282" in done.stdout and "bn2" in done.stdout
    heat = np.load(npy)
    assert heat.dtype == np.float32 and heat.shape == (224, 224)
    assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)

    png = tmp_path / "cam.png"
    done = cli("cam", CHELSEA, "--method", "layercam", "--layer", "blocks.5", "--out", png)
    assert done.returncode == 0, done.stderr
    image = np.array(Image.open(png))
    assert image.shape == (224, 224, 3) and image.std() > 10


def test_backprop_npy_and_png(tmp_path):
    npy = tmp_path / "grad.npy"
    done = cli("backprop", CHELSEA, "--layer", "blocks.4", "--unit", "7", "--method", "guided", "--out", npy)
    assert done.returncode == 0, done.stderr
    grad = np.load(npy)
    assert grad.dtype == np.float32 and grad.shape == (3, 224, 224) and np.abs(grad).max() > 0

    png = tmp_path / "grad.png"
    done = cli("backprop", CHELSEA, "--layer", "output", "--unit", "282", "--filter", "norm-blur", "--out", png)
    assert done.returncode == 0, done.stderr
    image = np.array(Image.open(png))
    assert image.shape == (224, 224, 3) and image.max() == 255


def test_user_errors(tmp_path):
    user_error(cli("cam", CHELSEA, "--class", "zebra crossing guard", "--out", tmp_path / "a.npy"), "no class named")
    user_error(cli("cam", CHELSEA, "--layer", "classifier", "--out", tmp_path / "a.npy"), "classifier")
    user_error(cli("backprop", CHELSEA, "--layer", "bn2", "--unit", "99999", "--out", tmp_path / "a.npy"), "--unit")
    user_error(cli("cam", CHELSEA, "--out", tmp_path / "a.txt"), ".npy or .png")
