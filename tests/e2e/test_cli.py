"""The command line, run as a user runs it: `python -m dlviz.app COMMAND ...` in a subprocess.

Each call that loads the model costs a few seconds (importing torch), so calls are few and shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from clirun import cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def check_ok(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def check_user_error(done: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 2, exactly one line `error: ...` on stderr, nothing on stdout; returns that line."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert done.stdout == ""
    for word in words:
        assert word in lines[0]
    return lines[0]


# --------------------------------------------------------------------------- the slow calls

# The calls that import torch (about 3 s of CPU each) run two at a time in the background,
# started together when the first of their tests runs; each test then checks its own result.
# Only the calls whose tests are selected are made.
SLOW = {
    "test_shot": lambda d: ("shot", d.chelsea, "--out", d.out / "s.png", "--size", "1000x700"),
    "test_predict_json": lambda d: ("predict", d.chelsea, "--json"),
    "test_predict_top_2_table": lambda d: ("predict", d.samples / "coffee.png", "--top", "2"),
    "test_layers_json": lambda d: ("layers", "--json"),
    "test_activations_npy_matches_in_process": lambda d: (
        "activations", d.chelsea, "--layer", "blocks.3", "--out", d.out / "x.npy"),
    "test_activations_png_is_the_mosaic": lambda d: (
        "activations", d.chelsea, "--layer", "blocks.3", "--out", d.out / "x.png"),
    "test_unknown_layer": lambda d: (
        "activations", d.chelsea, "--layer", "no_such_layer", "--out", d.out / "unknown.npy"),
    "test_unknown_model": lambda d: ("predict", d.chelsea, "--model", "no_such_net"),
    "test_torchvision_model_offline": lambda d: ("predict", d.chelsea, "--model", "resnet18"),
    "test_layers_into_a_closed_pipe": lambda d: ("layers",),
}


class Dirs:
    def __init__(self, chelsea, samples, out):
        self.chelsea, self.samples, self.out = chelsea, samples, out
        self.torch_home = out / "torch-home"
        self.torch_home.mkdir()


def timed(args, env):
    start = time.monotonic()
    done = cli(*args, env=env, timeout=240)
    return done, time.monotonic() - start


def into_closed_pipe(args, env):
    """Like `dlviz layers | head -0`: the reader is gone before anything is written."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dlviz.app", *args],
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()
    try:
        _, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, "", stderr), 0.0


@pytest.fixture(scope="module")
def slow(request, chelsea, samples, tmp_path_factory):
    """test name -> a future of (CompletedProcess, seconds) for its CLI call."""
    from concurrent.futures import ThreadPoolExecutor

    dirs = Dirs(chelsea, samples, tmp_path_factory.mktemp("cli"))
    # A proxy that refuses connections: even a machine with network must not download here.
    refuse = "http://127.0.0.1:9"
    offline = {"TORCH_HOME": str(dirs.torch_home), "https_proxy": refuse, "HTTPS_PROXY": refuse,
               "http_proxy": refuse, "HTTP_PROXY": refuse, "no_proxy": "", "NO_PROXY": "",
               # Two calls share two cores: one thread each, so neither waits on a preempted peer.
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    selected = {getattr(item, "originalname", item.name) for item in request.session.items}
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {
        name: pool.submit(into_closed_pipe if "pipe" in name else timed, tuple(map(str, make(dirs))), offline)
        for name, make in SLOW.items()
        if name in selected
    }
    yield dirs, futures
    pool.shutdown(wait=True, cancel_futures=True)


def result(slow, name) -> subprocess.CompletedProcess:
    return slow[1][name].result()[0]


# --------------------------------------------------------------------------- predict


def test_predict_json(slow, chelsea):
    done = result(slow, "test_predict_json")
    check_ok(done)
    data = json.loads(done.stdout)
    assert set(data) == {"model", "image", "top"}
    assert data["model"] == "efficientnet_lite0"
    assert data["image"] == str(chelsea)
    top = data["top"]
    assert len(top) == 5
    for row in top:
        assert set(row) == {"index", "label", "prob"}
        assert isinstance(row["index"], int) and isinstance(row["label"], str)
        assert 0.0 <= row["prob"] <= 1.0
    probs = [row["prob"] for row in top]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) <= 1.0 + 1e-6
    assert (top[0]["index"], top[0]["label"]) == (282, "tiger cat")
    assert {row["label"] for row in top[:3]} == {"tiger cat", "Egyptian cat", "tabby"}


def test_predict_top_2_table(slow):
    done = result(slow, "test_predict_top_2_table")
    check_ok(done)
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "espresso" in lines[0] and "(967)" in lines[0]
    assert lines[0].strip().split()[0].endswith("%")


# --------------------------------------------------------------------------- layers


def test_layers_json(slow):
    done = result(slow, "test_layers_json")
    check_ok(done)
    data = json.loads(done.stdout)
    assert data["model"] == "efficientnet_lite0"
    layers = {row["name"]: row for row in data["layers"]}
    assert len(layers) == len(data["layers"]) > 100
    assert layers["conv_stem"]["shape"] == [32, 112, 112]
    assert layers["blocks.3"]["shape"] == [80, 14, 14]
    assert data["layers"][0]["name"] == "conv_stem"
    assert all(set(row) == {"name", "type", "shape"} for row in data["layers"])


def test_layers_into_a_closed_pipe(slow):
    """`dlviz layers | head` must not end in a traceback when the reader leaves early."""
    done = result(slow, "test_layers_into_a_closed_pipe")
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- activations


@pytest.fixture(scope="module")
def blocks3(bundled, chelsea):
    """blocks.3 for chelsea, computed in this process."""
    from dlviz.core.activations import run
    from dlviz.core.images import load_image

    return run(bundled, bundled.preprocess.to_tensor(load_image(chelsea)), layers=["blocks.3"]).activations["blocks.3"]


def test_activations_npy_matches_in_process(slow, blocks3):
    done = result(slow, "test_activations_npy_matches_in_process")
    check_ok(done)
    assert "blocks.3" in done.stdout and "80×14×14" in done.stdout
    act = np.load(slow[0].out / "x.npy")
    assert act.dtype == np.float32
    assert act.shape == (80, 14, 14)
    assert np.allclose(act, blocks3, atol=1e-4, rtol=1e-4)
    assert act.std() > 0


def test_activations_png_is_the_mosaic(slow, blocks3):
    from dlviz.core.mosaic import mosaic

    done = result(slow, "test_activations_png_is_the_mosaic")
    check_ok(done)
    out = slow[0].out / "x.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as im:
        im.verify()
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert im.mode == "RGB"
        picture = np.asarray(im)
    expected, layout = mosaic(blocks3)
    height, width = layout.shape
    factor = picture.shape[0] // height
    assert factor >= 1
    assert picture.shape == (height * factor, width * factor, 3)
    shrunk = picture[::factor, ::factor]
    assert np.mean(np.any(shrunk != expected, axis=2)) < 0.01


# --------------------------------------------------------------------------- shot


@pytest.mark.slow
def test_shot(slow):
    done = result(slow, "test_shot")
    check_ok(done)
    assert "saved" in done.stdout
    with Image.open(slow[0].out / "s.png") as im:
        assert im.format == "PNG"
        size = im.size
        colours = np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)
    assert len(colours) > 100, "the screenshot looks blank"
    assert size == (1000, 700)


# --------------------------------------------------------------------------- user errors


def test_missing_image(tmp_path):
    check_user_error(cli("predict", tmp_path / "nope.png"), "nope.png", "does not exist")


def test_text_file_as_image(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture\n", encoding="utf-8")
    check_user_error(cli("predict", text, "--json"), "notes.png")


def test_unknown_layer(slow):
    check_user_error(result(slow, "test_unknown_layer"), "no_such_layer")
    assert not (slow[0].out / "unknown.npy").exists()


def test_unknown_model(slow):
    check_user_error(result(slow, "test_unknown_model"), "no_such_net")


def test_bad_out_extension(chelsea, tmp_path):
    out = tmp_path / "x.txt"
    check_user_error(cli("activations", chelsea, "--layer", "blocks.3", "--out", out), ".txt")
    assert not out.exists()


@pytest.mark.parametrize("size", ["big", "1000", "1000x"])
def test_bad_size(chelsea, tmp_path, size):
    check_user_error(cli("shot", chelsea, "--out", tmp_path / "s.png", "--size", size), "--size", size)


@pytest.mark.parametrize(
    "args, word",
    [
        (("predict",), "image"),
        (("activations", "assets/samples/chelsea.png", "--out", "x.npy"), "--layer"),
        (("predict", "assets/samples/chelsea.png", "--top", "many"), "--top"),
        (("predict", "assets/samples/chelsea.png", "--top", "0"), "--top"),
    ],
    ids=["no-image", "no-layer", "top-not-a-number", "top-zero"],
)
def test_bad_arguments(args, word):
    check_user_error(cli(*args), word)


def test_torchvision_model_offline(slow):
    """Nothing cached and no network: fails fast, saying where to put the weights file."""
    done, seconds = slow[1]["test_torchvision_model_offline"].result()
    cache = slow[0].torch_home / "hub" / "checkpoints"
    check_user_error(done, "resnet18-f37072fd.pth", str(cache))
    assert seconds < 30, f"took {seconds:.0f} s to give up"
    assert not cache.exists() or not any(cache.iterdir()), "a partial download was left behind"
