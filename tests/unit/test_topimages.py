"""Top images per unit: the scan agrees with a direct computation, resumes, and is cached."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from dlviz.core import topimages
from dlviz.core.activations import active_hooks, run
from dlviz.core.images import load_image
from dlviz.core.progress import Callbacks

LAYER = "blocks.3"


@pytest.fixture
def folder(tmp_path, samples):
    for path in sorted(samples.iterdir()):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "broken.png").write_bytes(b"not an image")
    return tmp_path


def test_scan_finds_each_units_best_images(bundled, folder, tmp_path):
    result = topimages.scan(bundled, folder, LAYER, k=3, batch=4)
    assert result.complete and result.skipped == ["broken.png"]
    # Direct computation: every photo's per-unit maximum.
    names = [name for name in result.files if name != "broken.png"]
    maxima = {}
    for name in names:
        act = run(bundled, bundled.preprocess.to_tensor(load_image(folder / name)), [LAYER]).activations[LAYER]
        maxima[name] = act.reshape(act.shape[0], -1).max(axis=1)
    for unit in (0, 17, 79):
        expected = sorted(((maxima[n][unit], n) for n in names), reverse=True)[:3]
        got = result.best(unit)
        assert [g[0] for g in got] == [n for _, n in expected]
        assert np.allclose([g[1] for g in got], [v for v, _ in expected], rtol=1e-4)
        # The recorded position holds that maximum.
        name, value, (i, j) = got[0]
        act = run(bundled, bundled.preprocess.to_tensor(load_image(folder / name)), [LAYER]).activations[LAYER]
        assert act[unit, i, j] == pytest.approx(value, rel=1e-4)
    assert active_hooks(bundled.model) == 0


def test_scan_resumes_after_a_stop_and_reads_the_cache(bundled, folder, tmp_path):
    cache = tmp_path / "cache"
    calls = []
    stopped = topimages.scan(bundled, folder, LAYER, k=2, batch=2, cache_dir=cache,
                             progress=Callbacks(lambda f, t, p: calls.append(f), lambda: len(calls) >= 1))
    assert not stopped.complete and stopped.done == 2
    resumed = topimages.scan(bundled, folder, LAYER, k=2, batch=2, cache_dir=cache)
    fresh = topimages.scan(bundled, folder, LAYER, k=2, batch=2)
    assert resumed.complete
    assert np.array_equal(resumed.index, fresh.index) and np.allclose(resumed.values, fresh.values)

    # A finished scan is read back without running the model.
    original = bundled.model.forward
    bundled.model.forward = lambda *a, **k: (_ for _ in ()).throw(AssertionError("the model ran"))
    try:
        again = topimages.scan(bundled, folder, LAYER, k=2, batch=2, cache_dir=cache)
    finally:
        bundled.model.forward = original
    assert np.array_equal(again.index, fresh.index)

    # A changed folder is a different scan.
    (folder / "rocket.jpg").unlink()
    changed = topimages.scan(bundled, folder, LAYER, k=2, batch=8, cache_dir=cache)
    assert "rocket.jpg" not in changed.files


def test_receptive_field_of_two_small_convolutions():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1)).eval()
    assert topimages.receptive_field(net, "2", size=32) == 5
    assert topimages.receptive_field(net, "2", size=32, effective=0.5) <= 5
    assert all(p.grad is None for p in net.parameters())


def test_crop_around_stays_inside_the_crop():
    crop = np.zeros((224, 224, 3), np.uint8)
    assert topimages.crop_around(crop, (0, 0), (14, 14), 60).shape == (60, 60, 3)
    assert topimages.crop_around(crop, (13, 13), (14, 14), 60).shape == (60, 60, 3)
    assert topimages.crop_around(crop, (7, 7), (14, 14), 400).shape == (224, 224, 3)


def test_missing_or_empty_folder_is_one_sentence(bundled, tmp_path):
    from dlviz.core.images import ImageError

    with pytest.raises(ImageError, match=r"holds no images \(\.png, \.jpg.*\), nor do its subfolders"):
        topimages.scan(bundled, tmp_path, LAYER)
    with pytest.raises(ImageError, match="is not a folder"):
        topimages.scan(bundled, tmp_path / "nope", LAYER)


def test_a_folder_of_class_folders_is_scanned_whole(bundled, tmp_path, samples):
    """A dataset kept one folder per class: the explorer read its subfolders, top images did not."""
    for name in ("cats/chelsea.png", "cats/again/chelsea.png", "cups/coffee.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(samples / Path(name).name, tmp_path / name)
    result = topimages.scan(bundled, tmp_path, LAYER, k=3)
    assert result.complete and sorted(result.files) == ["cats/again/chelsea.png", "cats/chelsea.png", "cups/coffee.png"]
    best = {name for name, _, _ in result.best(0)}
    assert best == set(result.files)  # every image, by its path below the folder


@pytest.mark.parametrize("damage", ["truncated", "empty", "not a zip"])
def test_a_damaged_cache_is_set_aside_and_the_folder_scanned_again(bundled, folder, tmp_path, damage):
    """A torn top-*.npz used to fail every later scan of that folder ("Unexpected error (BadZipFile)")."""
    cache = tmp_path / "cache"
    fresh = topimages.scan(bundled, folder, LAYER, k=2, batch=4, cache_dir=cache)
    (saved,) = cache.glob("top-*.npz")
    data = saved.read_bytes()
    saved.write_bytes({"truncated": data[: len(data) // 2], "empty": b"", "not a zip": b"hello"}[damage])
    again = topimages.scan(bundled, folder, LAYER, k=2, batch=4, cache_dir=cache)
    assert again.complete and np.array_equal(again.index, fresh.index)
    assert again.note.startswith("The saved scan of this folder was damaged and was set aside (kept as top-")
    assert (cache / (saved.name + ".damaged")).exists()
    # The new cache is whole: the next scan reads it without a note.
    assert topimages.scan(bundled, folder, LAYER, k=2, batch=4, cache_dir=cache).note == ""


def test_a_stop_is_heard_inside_a_batch_and_the_batch_is_read_again(bundled, folder, tmp_path):
    """A batch may hold several 80-megapixel decodes: a stop is checked before each image and
    inside the forward pass, not only between batches."""
    asked = []

    def stop_on_third_look():
        asked.append(1)
        return len(asked) >= 3

    cache = tmp_path / "cache"
    stopped = topimages.scan(bundled, folder, LAYER, k=2, batch=16, cache_dir=cache,
                             progress=Callbacks(should_stop=stop_on_third_look))
    assert stopped.done == 0 and stopped.skipped == [] and not stopped.complete
    resumed = topimages.scan(bundled, folder, LAYER, k=2, batch=16, cache_dir=cache)
    assert resumed.complete and resumed.skipped == ["broken.png"]
    assert active_hooks(bundled.model) == 0


def test_a_stop_during_the_forward_pass_drops_the_batch(bundled, folder, tmp_path):
    """Every image of the batch decoded, then a stop a few layers into its forward pass."""
    asked = []

    def stop_in_the_pass():
        asked.append(1)
        return len(asked) > 7 + 3  # one look per image (7), then a few module checks

    cache = tmp_path / "cache"
    stopped = topimages.scan(bundled, folder, LAYER, k=2, batch=16, cache_dir=cache,
                             progress=Callbacks(should_stop=stop_in_the_pass))
    assert stopped.done == 0 and stopped.skipped == [] and len(asked) == 11
    assert active_hooks(bundled.model) == 0  # the stop hook went with the pass


def test_a_cache_that_cannot_be_read_for_a_moment_is_left_where_it_is(bundled, folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    topimages.scan(bundled, folder, LAYER, k=2, batch=4, cache_dir=cache)
    (saved,) = cache.glob("top-*.npz")

    def locked(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(topimages.np, "load", locked)
    again = topimages.scan(bundled, folder, LAYER, k=2, batch=4, cache_dir=cache)
    assert again.complete and again.note == "" and saved.exists()
    assert not list(cache.glob("*.damaged"))


def test_a_folder_on_a_drive_that_stops_answering_ends_the_scan_in_one_sentence(bundled, folder, monkeypatch):
    from dlviz.core import files
    from dlviz.core.errors import ImageError

    looks = []

    def hung(fn, timeout_s=files.TIMEOUT_S):
        looks.append(1)
        raise TimeoutError  # what `timed` raises when the look at a file does not come back

    monkeypatch.setattr(files, "timed", hung)
    with pytest.raises(ImageError, match=r"did not answer within 5 s \(is its drive or network share still connected\?\)"):
        topimages.scan(bundled, folder, LAYER, k=2, batch=4)
    assert looks == [1], "the scan went on waiting for the other files"
