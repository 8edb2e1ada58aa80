"""Feature visualisation against its definition: the optimised image drives its unit far above noise."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dlviz import paths
from dlviz.core import featurecache, featurevis as fv
from dlviz.core.imageparam import colour_matrix
from dlviz.core.activations import active_hooks
from dlviz.core.models import LoadedModel, discover_layers
from dlviz.core.preprocess import Preprocess
from dlviz.core.progress import Callbacks

LAYER = "blocks.3.1.bn2"  # a middle layer of the bundled model, after its ReLU6: 480×14×14 at 224 px
UNIT = 2  # off (0) on plain noise: the optimisation has to find what drives it


def small(**kw) -> fv.Settings:
    base = dict(steps=40, size=64, fourier=False, decorrelate=False)
    base.update(kw)
    return fv.Settings(**base)


def snapshot(model: nn.Module):
    return [(name, p.detach().clone(), p.requires_grad) for name, p in model.named_parameters()]


def check_unchanged(model: nn.Module, before) -> None:
    assert not model.training
    for (name, value, grad_flag), (name2, p) in zip(before, model.named_parameters()):
        assert name == name2
        assert p.requires_grad == grad_flag
        assert p.grad is None
        assert torch.equal(value, p.detach())
    assert active_hooks(model) == 0


def test_channel_far_above_noise(bundled):
    before = snapshot(bundled.model)
    frames = []
    result = fv.visualise(bundled, LAYER, UNIT, small(), Callbacks(lambda f, text, partial: frames.append((f, partial))))
    assert result.image.shape == (64, 64, 3) and result.image.dtype == np.uint8
    assert result.steps_done == 40 and not result.cancelled and not result.dead
    assert result.activation > 3 * result.noise_activation
    assert result.activation > result.noise_activation + 1.0
    assert result.activation > result.start_activation
    # The reported activation is the unit's activation on the returned image, measured afresh.
    from dlviz.core.activations import run

    x = (torch.from_numpy(result.image).permute(2, 0, 1).float().div(255).unsqueeze(0) - 0.5) / 0.5
    measured = run(bundled, x, layers=[LAYER]).activations[LAYER][UNIT].mean()
    assert measured == pytest.approx(result.activation, rel=1e-3, abs=1e-3)
    # Progress: at the end at least, with uint8 images of the result's shape.
    assert frames and frames[-1][0] == 1.0
    assert all(p.dtype == np.uint8 and p.shape == (64, 64, 3) for _, p in frames)
    check_unchanged(bundled.model, before)


def test_class_logit_rises_above_noise(bundled):
    result = fv.visualise(bundled, None, 207, small(kind="class", steps=30))
    assert result.activation > result.noise_activation + 5.0
    assert not result.dead


def test_fourier_decorrelated_raises_activation(bundled):
    result = fv.visualise(bundled, LAYER, UNIT, small(fourier=True, decorrelate=True, steps=40))
    assert result.activation > 3 * result.noise_activation
    assert result.activation > result.noise_activation + 1.0


def test_toolbox_regularisers_and_neuron(bundled):
    settings = small(
        kind="neuron", steps=30, l2_decay=0.01, blur_every=4, blur_sigma=0.5,
        clip_norm_percentile=10, clip_contribution_percentile=10, jitter=0, scale=0.0, rotate=0.0,
    )
    result = fv.visualise(bundled, LAYER, UNIT, settings)
    assert result.activation > result.noise_activation + 1.0
    assert active_hooks(bundled.model) == 0


def test_start_from_image(bundled):
    image = np.zeros((50, 80, 3), np.uint8)
    image[:, :, 0] = 200
    result = fv.visualise(bundled, LAYER, UNIT, small(start="image", start_image=image, steps=0))
    assert result.steps_done == 0
    assert abs(int(result.image[..., 0].mean()) - 200) <= 3 and result.image[..., 1].max() <= 4


def test_cancel_returns_early_without_hooks(bundled):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 3

    result = fv.visualise(bundled, LAYER, UNIT, small(steps=200), Callbacks(should_stop=should_stop))
    assert result.cancelled and result.steps_done == 3
    assert not result.dead
    assert result.image.shape == (64, 64, 3)
    assert active_hooks(bundled.model) == 0


def test_error_removes_hooks(bundled):
    with pytest.raises(IndexError):
        fv.visualise(bundled, LAYER, 10_000, small(steps=2))
    assert active_hooks(bundled.model) == 0
    assert not bundled.model.training


def test_same_seed_same_image(bundled):
    settings = small(steps=8, fourier=True, decorrelate=True, size=48)
    a = fv.visualise(bundled, LAYER, UNIT, settings)
    b = fv.visualise(bundled, LAYER, UNIT, settings)
    c = fv.visualise(bundled, LAYER, UNIT, small(steps=8, fourier=True, decorrelate=True, size=48, seed=1))
    assert np.array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)


def tiny_loaded() -> LoadedModel:
    torch.manual_seed(0)
    net = nn.Sequential()
    net.add_module("conv", nn.Conv2d(3, 4, 3, padding=1))
    net.add_module("relu", nn.ReLU())
    net.add_module("pool", nn.AdaptiveAvgPool2d(1))
    net.add_module("flat", nn.Flatten())
    net.add_module("fc", nn.Linear(4, 3))
    with torch.no_grad():
        net.conv.weight[2].zero_()
        net.conv.bias[2] = 0.0
    net.eval()
    loaded = LoadedModel("tiny", net, Preprocess(resize=32, crop=32), None, "test")
    loaded.layers = discover_layers(net, 32)
    return loaded


def test_dead_unit_flagged():
    loaded = tiny_loaded()
    dead = fv.visualise(loaded, "relu", 2, small(steps=20, size=32))
    assert dead.dead and dead.activation == 0.0
    live = fv.visualise(loaded, "relu", 0, small(steps=20, size=32))
    assert not live.dead and live.activation > live.start_activation


def test_layer_batches_and_tile(bundled):
    frames = []
    settings = small(steps=10, size=32)
    results = fv.visualise_layer(bundled, LAYER, [0, 1, 2], settings, batch=2, progress=Callbacks(lambda f, t, p: frames.append((f, p))))
    assert [r.unit for r in results] == [0, 1, 2]
    assert all(r.image.shape == (32, 32, 3) for r in results)
    # A batch element is optimised for its own unit: unit 2 alone gives the same image as in a batch.
    alone = fv.visualise(bundled, LAYER, 2, settings)
    assert alone.activation == pytest.approx(results[2].activation, rel=0.05, abs=0.05)
    grid = fv.tile([r.image for r in results])
    assert grid.shape == (2 * 32 + 2, 2 * 32 + 2, 3)
    assert np.array_equal(grid[:32, 34:66], results[1].image)
    assert frames[-1][0] == pytest.approx(1.0) and frames[-1][1].shape == grid.shape
    assert active_hooks(bundled.model) == 0


def test_layer_cancel_stops_batches(bundled):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 2

    results = fv.visualise_layer(bundled, LAYER, range(6), small(steps=50, size=32), batch=2, progress=Callbacks(should_stop=should_stop))
    assert len(results) == 2 and all(r.cancelled for r in results)


def test_cache_round_trip(tmp_path):
    settings = fv.Settings(steps=10, size=32)
    key = featurecache.cache_key("m", "layer", 3, settings)
    assert key == featurecache.cache_key("m", "layer", 3, fv.Settings(steps=10, size=32))
    assert key != featurecache.cache_key("m", "layer", 4, settings)
    assert key != featurecache.cache_key("m", "layer", 3, fv.Settings(steps=10, size=32, seed=1))
    image = np.arange(32 * 32 * 3, dtype=np.uint8).reshape(32, 32, 3)
    with_image = fv.Settings(start="image", start_image=image)
    assert featurecache.cache_key("m", "layer", 3, with_image) != featurecache.cache_key("m", "layer", 3, fv.Settings(start="image", start_image=image[::-1]))
    assert featurecache.load_cached(tmp_path, key) is None
    result = fv.Result(image, 2.5, 0.1, 0.2, False, 10, False, 0.5, unit=3)
    featurecache.save_cached(tmp_path / "cache", key, result)
    back = featurecache.load_cached(tmp_path / "cache", key)
    assert np.array_equal(back.image, image)
    assert back.summary() == result.summary()


def test_colour_matrix_is_invertible_and_normalised():
    m = colour_matrix()
    assert np.linalg.norm(m, axis=0).max() == pytest.approx(1.0)
    assert abs(np.linalg.det(m)) > 1e-3


def test_cli(tmp_path, capsys):
    from dlviz.cli import main

    out = tmp_path / "unit.png"
    code = main(["featurevis", "--layer", LAYER, "--unit", str(UNIT), "--steps", "20", "--size", "48", "--out", str(out)])
    assert code == 0 and out.exists()
    line = capsys.readouterr().out.strip()
    assert "on noise" in line and len(line.splitlines()) == 1
    assert main(["featurevis", "--layer", "nope", "--unit", "1", "--out", str(out)]) == 2
    assert main(["featurevis", "--class", "3", "--unit", "1", "--out", str(out)]) == 2
    assert "error:" in capsys.readouterr().err


def test_training_mode_restored():
    loaded = tiny_loaded()
    loaded.model.conv.train()  # a mixed state: only the convolution in training mode
    fv.visualise(loaded, "relu", 0, small(steps=2, size=32))
    assert loaded.model.conv.training and not loaded.model.training and not loaded.model.relu.training


# --------------------------------------------------------------------------- units silent on noise

SILENT_LAYER, SILENT_UNIT = "blocks.4.1.bn2.act", 253  # held at 0 from noise, even with redirected gradients; fires on photos


def test_a_unit_silent_on_noise_starts_again_from_the_photo_where_it_fires(bundled):
    settings = fv.Settings(steps=40, size=64)
    stuck = fv.visualise(bundled, SILENT_LAYER, SILENT_UNIT, fv.Settings(steps=40, size=64, start="noise"))
    result = fv.visualise(bundled, SILENT_LAYER, SILENT_UNIT, settings)
    assert result.photo_best > 0 and result.photos == 6
    assert stuck.activation < 0.1 * result.photo_best  # from noise alone it never gets going
    assert result.restart_step == 10 and result.start.split(" ")[0] in {p.name for p in paths.sample_images()}
    assert result.restart_text().startswith(f"started again at step 10 from {result.start}")
    assert result.activation > result.photo_best and not result.dead
    assert active_hooks(bundled.model) == 0


def test_dead_means_silent_on_the_feature_image_and_every_photo_and_scan():
    loaded = tiny_loaded()
    dead = fv.visualise(loaded, "relu", 2, small(steps=20, size=32))
    assert dead.dead and dead.photo_best == 0.0 and "6 sample photos" in dead.why_dead()
    scan = np.array([0.5, 0.5, 0.0, 0.5])
    fv.judge([dead], scan, "the 40 images of the Top images scan of birds")
    assert dead.dead and "the 40 images of the Top images scan of birds" in dead.why_dead()
    scan[2] = 0.3  # it fires on an image of the scan: not dead after all
    fv.judge([dead], scan, "the 40 images of the Top images scan of birds")
    assert not dead.dead


def test_a_paused_optimisation_goes_on_to_the_same_images(bundled):
    settings = small(steps=12, size=32)
    whole = fv.Optimisation(bundled, LAYER, [0, 1], settings)
    assert whole.run()
    steps = {"n": 0}

    def pause():
        steps["n"] += 1
        return steps["n"] == 5  # once, before the fifth step

    parted = fv.Optimisation(bundled, LAYER, [0, 1], settings)
    assert not parted.run(pause=pause) and parted.step == 4 and not parted.finished
    assert active_hooks(bundled.model) == 0  # no hook stays on the model while it waits
    assert parted.run(pause=pause) and parted.finished
    for a, b in zip(whole.results(), parted.results()):
        assert np.array_equal(a.image, b.image) and a.activation == b.activation


def test_feature_images_of_a_layer_resume_from_disk_and_pause_for_other_work(bundled, tmp_path, monkeypatch):
    from dlviz.work import toolbox

    monkeypatch.setattr(fv, "PATTERN", {"size": 32, "steps": 8})
    monkeypatch.setattr(fv, "PATTERN_BATCH", 3)
    reports = []
    waiting = {"now": False}

    class State(Callbacks):
        def others_waiting(self):
            return waiting["now"]

    state = State(lambda f, text, partial: reports.append((f, partial)))
    first = toolbox.feature_images(state, bundled, LAYER, 5, {}, None, tmp_path)
    assert sorted(first.results) == [0, 1, 2] and first.paused is None  # one batch per job
    assert reports and set(reports[-1][1]) == {0, 1, 2}
    waiting["now"] = True  # another job waits: the next batch pauses at once
    paused = toolbox.feature_images(state, bundled, LAYER, 5, first.results, None, tmp_path)
    assert paused.results == {} and paused.paused is not None and sorted(paused.paused.units) == [3, 4]
    waiting["now"] = False
    rest = toolbox.feature_images(state, bundled, LAYER, 5, first.results, paused.paused, tmp_path)
    assert sorted(rest.results) == [3, 4] and rest.paused is None
    assert len(list(tmp_path.glob("*.png"))) == 5

    # After a restart: everything comes from the disk, nothing is optimised again.
    monkeypatch.setattr(fv, "Optimisation", None)
    again = toolbox.feature_images(State(), bundled, LAYER, 5, {}, None, tmp_path)
    assert sorted(again.results) == [0, 1, 2, 3, 4]
    assert np.array_equal(again.results[4].image, rest.results[4].image)


def test_a_unit_no_image_moves_is_called_constant_not_dead():
    loaded = tiny_loaded()
    with torch.no_grad():
        loaded.model.conv.bias[2] = 0.7  # weights zero, bias on: 0.7 on every image
    result = fv.visualise(loaded, "relu", 2, small(steps=10, size=32))
    assert result.constant and not result.dead and result.activation == pytest.approx(0.7)
    assert "no image moves it" in result.constant_text()
    moving = fv.visualise(loaded, "relu", 0, small(steps=10, size=32))
    assert not moving.constant and moving.constant_text() == ""


def test_redirected_gradients_move_a_unit_its_own_relu_holds_at_zero(monkeypatch):
    loaded = tiny_loaded()
    with torch.no_grad():
        loaded.model.conv.bias[1] = -5.0  # off on every faint noise: its ReLU passes no gradient
    settings = small(steps=6, size=32, start="noise", jitter=0, scale=0.0, rotate=0.0)
    start = fv.Optimisation(loaded, "relu", [1], settings)
    still = start.param.rgb().detach().clone()
    moved = fv.Optimisation(loaded, "relu", [1], settings)
    moved.run()
    assert not torch.equal(moved.param.rgb().detach(), still)  # the redirected gradient moved it
    class NoRedirect(fv.RedirectedReLUs):
        def __init__(self, root):
            super().__init__(None)

    monkeypatch.setattr(fv, "RedirectedReLUs", NoRedirect)
    held = fv.Optimisation(loaded, "relu", [1], settings)
    held.run()
    assert torch.equal(held.param.rgb().detach(), still)  # without it, nothing moves
    assert active_hooks(loaded.model) == 0


def test_two_models_of_one_name_are_two_in_the_cache_and_a_paused_batch_stays_with_its_own(bundled, tmp_path, monkeypatch):
    from dlviz.work import toolbox

    one, other = tiny_loaded(), tiny_loaded()
    assert featurecache.model_id(one) == featurecache.model_id(other)
    with torch.no_grad():
        other.model.conv.weight[0, 0, 0, 0] += 1.0  # same name, other weights
    assert featurecache.model_id(one) != featurecache.model_id(other)

    monkeypatch.setattr(fv, "PATTERN", {"size": 32, "steps": 4})
    monkeypatch.setattr(fv, "PATTERN_BATCH", 2)
    elsewhere = fv.Optimisation(bundled, "blocks.3.0.bn2", [0, 1], fv.Settings(**fv.PATTERN))  # another layer
    done = toolbox.feature_images(Callbacks(), bundled, LAYER, 2, {}, elsewhere, tmp_path)
    assert sorted(done.results) == [0, 1] and elsewhere.step == 0  # made afresh, the other batch untouched
    stopped = fv.Optimisation(bundled, LAYER, [0, 1], fv.Settings(**fv.PATTERN))
    stopped.cancelled = True
    again = toolbox.feature_images(Callbacks(), bundled, LAYER, 2, {}, stopped, None)
    assert sorted(again.results) == [0, 1] and stopped.step == 0
