"""dlviz.core.activations: recorded outputs are right, survive in-place ops, and hooks never leak."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from dlviz.core.activations import ActivationRecorder, Forward, active_hooks, run
from dlviz.core.images import load_image
from dlviz.core.models import LoadedModel, default_layer, discover_layers
from dlviz.core.preprocess import Preprocess


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    # Non-trivial batch-norm statistics, so that bn1 has negative outputs for the ReLU to clip.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.bias.uniform_(-0.5, 0.5)
    return model


@pytest.fixture(scope="module")
def loaded(resnet):
    return LoadedModel("resnet18", resnet, Preprocess(), None, "test", layers=discover_layers(resnet))


@pytest.fixture(scope="module")
def x():
    torch.manual_seed(1)
    return torch.randn(1, 3, 224, 224)


@pytest.fixture(scope="module")
def clean(resnet, x):
    """The stem recomputed step by step, nothing overwritten."""
    with torch.no_grad():
        conv = resnet.conv1(x)
        bn = resnet.bn1(conv.clone())
        relu = torch.relu(bn)
        pool = resnet.maxpool(relu)
    return {"conv1": conv, "bn1": bn, "relu": relu, "maxpool": pool}


def test_recorder_records_the_right_shapes(resnet, x):
    names = ["conv1", "layer1.0.conv1", "layer2", "layer4.1.bn2", "avgpool", "fc"]
    with torch.no_grad(), ActivationRecorder(resnet, names) as rec:
        out = resnet(x)
    assert list(rec.outputs) == names  # in forward order
    assert rec.outputs["conv1"].shape == (1, 64, 112, 112)
    assert rec.outputs["layer1.0.conv1"].shape == (1, 64, 56, 56)
    assert rec.outputs["layer2"].shape == (1, 128, 28, 28)
    assert rec.outputs["layer4.1.bn2"].shape == (1, 512, 7, 7)
    assert rec.outputs["avgpool"].shape == (1, 512, 1, 1)
    assert torch.equal(rec.outputs["fc"], out)
    assert active_hooks(resnet) == 0


def test_recorded_values_match_a_clean_recomputation(resnet, x, clean):
    with torch.no_grad(), ActivationRecorder(resnet, ["conv1", "maxpool"]) as rec:
        resnet(x)
    assert torch.allclose(rec.outputs["conv1"], clean["conv1"], atol=1e-5)
    assert torch.allclose(rec.outputs["maxpool"], clean["maxpool"], atol=1e-5)


def test_in_place_overwritten_output_is_copied(resnet, x, clean):
    assert (clean["bn1"] < 0).any(), "the test needs negative values for the ReLU to overwrite"
    with torch.no_grad(), ActivationRecorder(resnet, ["bn1"], copy=["bn1"]) as rec:
        resnet(x)
    assert torch.allclose(rec.outputs["bn1"], clean["bn1"], atol=1e-5)


def test_without_copy_the_in_place_relu_shows_through(resnet, x, clean):
    """Why the copy matters: uncopied, bn1's record is what the ReLU left of it."""
    with torch.no_grad(), ActivationRecorder(resnet, ["bn1"]) as rec:
        resnet(x)
    assert not torch.allclose(rec.outputs["bn1"], clean["bn1"], atol=1e-3)
    assert torch.allclose(rec.outputs["bn1"], clean["relu"], atol=1e-5)


def test_run_copies_mutated_layers(loaded, x, clean):
    assert loaded.layer("bn1").mutated
    forward = run(loaded, x, layers=["bn1", "layer1.0.bn1", "relu"])
    assert np.allclose(forward.activations["bn1"], clean["bn1"][0].numpy(), atol=1e-5)
    assert np.allclose(forward.activations["relu"], clean["relu"][0].numpy(), atol=1e-5)
    # layer1.0.bn1 is overwritten by the block's ReLU too: its record must keep negatives.
    assert forward.activations["layer1.0.bn1"].min() < 0


def test_hooks_removed_after_the_block(resnet, x):
    assert active_hooks(resnet) == 0
    with torch.no_grad(), ActivationRecorder(resnet, ["conv1", "layer1", "fc"]):
        assert active_hooks(resnet) > 0
        resnet(x)
    assert active_hooks(resnet) == 0


def test_hooks_removed_when_the_forward_raises(resnet):
    with pytest.raises(RuntimeError):
        with torch.no_grad(), ActivationRecorder(resnet, ["conv1", "layer1.0.relu"]):
            resnet(torch.zeros(1, 5, 64, 64))  # wrong number of channels
    assert active_hooks(resnet) == 0


def test_hooks_removed_when_a_name_is_unknown(resnet):
    with pytest.raises((KeyError, AttributeError), match="no.such.layer"):
        with ActivationRecorder(resnet, ["conv1", "layer1", "no.such.layer"]):
            pass  # pragma: no cover - never entered
    assert active_hooks(resnet) == 0


def test_hooks_removed_when_the_body_raises(resnet):
    with pytest.raises(KeyboardInterrupt):
        with ActivationRecorder(resnet, ["conv1"]):
            raise KeyboardInterrupt
    assert active_hooks(resnet) == 0


def test_recorder_ignores_other_models(resnet, x):
    other = nn.Sequential(nn.Conv2d(3, 2, 3), nn.ReLU()).eval()
    with torch.no_grad(), ActivationRecorder(resnet, ["conv1"]) as rec:
        other(x)
        assert rec.outputs == {}
        resnet(x)
    assert list(rec.outputs) == ["conv1"]
    assert active_hooks(resnet) == 0


def test_run_gives_probabilities_and_every_layer(loaded, x):
    forward = run(loaded, x)
    assert isinstance(forward, Forward)
    assert forward.probs.shape == (1000,)
    assert forward.probs.min() >= 0
    assert forward.probs.sum() == pytest.approx(1.0, abs=1e-4)
    assert set(forward.activations) == set(loaded.layer_names)
    for info in loaded.layers:
        act = forward.activations[info.name]
        assert act.shape == info.shape, info.name
        assert act.dtype == np.float32
    with torch.no_grad():
        logits = loaded.model(x)
    assert np.allclose(forward.activations["fc"], logits[0].numpy(), atol=1e-4)
    assert np.allclose(forward.probs, torch.softmax(logits, 1)[0].numpy(), atol=1e-6)
    assert forward.forward_ms > 0
    assert active_hooks(loaded.model) == 0


def test_run_chosen_layers_only(loaded, x):
    forward = run(loaded, x, layers=["layer3", "fc"])
    assert set(forward.activations) == {"layer3", "fc"}
    assert run(loaded, x, layers=[]).activations == {}


def test_top_is_sorted_and_clamped():
    forward = Forward(np.array([0.1, 0.6, 0.3], dtype=np.float32), {}, 1.0)
    assert [i for i, _ in forward.top(2)] == [1, 2]
    assert [i for i, _ in forward.top(10)] == [1, 2, 0]
    assert forward.top(1)[0][1] == pytest.approx(0.6)


def test_run_on_the_bundled_model(bundled, chelsea):
    batch = bundled.preprocess.to_tensor(load_image(chelsea))
    forward = run(bundled, batch, layers=["conv_stem", "blocks.3"])
    assert forward.activations["conv_stem"].shape == (32, 112, 112)
    assert forward.activations["blocks.3"].shape == (80, 14, 14)
    assert forward.probs.sum() == pytest.approx(1.0, abs=1e-4)
    assert active_hooks(bundled.model) == 0


# ---------------------------------------------------------------- the traced live pass
def test_the_traced_pass_records_what_the_eager_pass_does(resnet, x):
    """Including the in-place ReLU's input (copied in the trace as in the eager pass) and on an
    input other than the one it was traced with."""
    from dlviz.core.activations import run_traced

    loaded = LoadedModel("resnet18", resnet, Preprocess(), None, "test", layers=discover_layers(resnet))
    run_traced(loaded, x)  # the first call is eager, to show a first frame at once
    run_traced(loaded, x)
    (graph, names, plan), = loaded.traced.values()
    assert set(names) <= set(plan.kept) and len(names) < len(loaded.layer_names) * 0.6  # the trace returns what the plan keeps
    other = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(7))
    traced, eager = run_traced(loaded, other), run(loaded, other)
    assert len(loaded.traced) == 1 and next(iter(loaded.traced.values()))[0] is graph  # traced once
    assert set(traced.activations.keys()) == set(eager.activations.keys()) == set(loaded.layer_names)
    np.testing.assert_allclose(traced.probs, eager.probs, atol=1e-6)
    for name in loaded.layer_names:
        np.testing.assert_allclose(traced.activations[name], eager.activations[name], rtol=1e-5, atol=1e-5)
    assert (traced.activations["bn1"] < 0).any()  # not overwritten by the in-place ReLU after it
    assert active_hooks(resnet) == 0


class ThroughNumpy(nn.Module):
    """A pass that leaves torch for NumPy: a trace would keep the traced input's answer forever."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        y = self.conv(x)
        scale = float(np.abs(y.detach().numpy()).mean())  # a value the tracer cannot follow
        return self.head(y.mean(dim=(2, 3)) * scale)


def test_a_pass_a_trace_cannot_follow_stays_eager(x):
    from dlviz.core.activations import run_traced

    model = ThroughNumpy().eval()
    loaded = LoadedModel("numpy", model, Preprocess(), None, "test", layers=discover_layers(model))
    run_traced(loaded, x)
    first = run_traced(loaded, x)
    assert list(loaded.traced.values()) == [None]  # checked on a second input, found wrong, not kept
    other = x.flip(-1) * 3
    np.testing.assert_allclose(run_traced(loaded, other).probs, run(loaded, other).probs, atol=1e-7)
    np.testing.assert_allclose(first.probs, run(loaded, x).probs, atol=1e-7)


def test_dlviz_trace_0_keeps_the_eager_pass(loaded, x, monkeypatch):
    from dlviz.core.activations import run_traced

    monkeypatch.setenv("DLVIZ_TRACE", "0")
    fresh = LoadedModel(loaded.name, loaded.model, loaded.preprocess, None, "test", layers=loaded.layers)
    np.testing.assert_allclose(run_traced(fresh, x).probs, run(fresh, x).probs, atol=1e-7)
    assert fresh.traced == {}


# --------------------------------------------------------------------------- the recording plan


def _every_layer(loaded, x):
    """Each layer's output as recording them all keeps it (the reference)."""
    copy = [info.name for info in loaded.layers if info.mutated]
    with torch.inference_mode(), ActivationRecorder(loaded.model, loaded.layer_names, copy) as every:
        loaded.model(x)
    return every.outputs


@pytest.mark.parametrize("model", ["resnet18", "bundled"])
def test_a_pass_keeps_few_layers_and_every_other_reads_as_recorded(model, loaded, bundled, x):
    from dlviz.core import activations

    loaded = bundled if model == "bundled" else loaded
    reference = _every_layer(loaded, x)
    forward = run(loaded, x)
    kept = {name: forward.activations.tensor(name) for name in forward.activations.kept}
    assert set(forward.activations) == set(reference) == set(loaded.layer_names)
    for name, tensor in reference.items():
        assert torch.equal(forward.activations.tensor(name), tensor), name
    # Kept: the bundled model, 15 of 159 layers and 9% of the values; resnet18, whose ReLUs work in
    # place and whose 3×3 convolutions cost more to run again, 32 of 67 and 63%.
    layers, values = (1 / 6, 0.12) if model == "bundled" else (1 / 2, 0.7)
    assert len(kept) < len(reference) * layers
    distinct = {id(t): t for t in reference.values()}.values()
    assert sum(t.numel() for t in kept.values()) < sum(t.numel() for t in distinct) * values
    assert active_hooks(loaded.model) == 0
    on_screen = loaded.start_layer or default_layer(loaded.layers)
    assert on_screen not in kept or model == "resnet18"  # (its ReLUs, in place, are kept anyway)
    shown = run(loaded, x, shown=on_screen).activations
    group = loaded.layer(on_screen).same_as or on_screen
    assert group in shown.kept or on_screen in shown.kept  # the layer on screen is kept
    plan = activations.plan(loaded)
    assert all(source in reference for _, source in plan.recipes.values())


def test_a_read_costs_at_most_the_budget_from_a_kept_layer(bundled):
    from dlviz.core import activations

    plan = activations.plan(bundled)
    modules = dict(bundled.model.named_modules())

    def cost(name):
        module, source = plan.recipes.get(name, (None, None))
        if source is None:
            return 0
        own = activations._cost(module, bundled.layer(name).shape) if module is not None else 0
        return own + cost(source)

    assert max(cost(name) for name in bundled.layer_names) <= activations.RECOMPUTE_BUDGET
    assert all(module is None or modules[name] is module for name, (module, _) in plan.recipes.items())


class _Forked(nn.Module):
    """Takes one branch or the other by its input's spread: a path no dry run can foresee."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.norm = nn.BatchNorm2d(4)
        self.other = nn.Conv2d(4, 4, 1)
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        y = self.conv(x)
        y = self.norm(y) if x.std() > 0.5 else self.other(y)
        return self.fc(self.pool(self.act(y)).flatten(1))


def test_a_model_whose_path_depends_on_its_input_keeps_every_layer():
    from dlviz.core import activations

    net = _Forked().eval()
    loaded = LoadedModel("forked", net, Preprocess(resize=32, crop=32), None, "test")
    loaded.layers = discover_layers(net, 32)  # zeros: the `other` branch
    assert loaded.layer("act").source == "other"
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))  # noise: the `norm` branch
    reference = _every_layer(loaded, x)
    forward = run(loaded, x)
    assert "other" not in forward.activations  # it did not run
    for name, tensor in reference.items():
        assert torch.equal(forward.activations.tensor(name), tensor), name
    assert all(module is None for module, _ in activations.plan(loaded).recipes.values())


def test_a_dropout_after_an_in_place_relu_is_the_same_layer_not_a_chain():
    """Dropout in eval mode returns its input itself: it joins the ReLU's layer, whose source it
    would be (planning once looped forever on AlexNet and VGG16's classifiers)."""
    from dlviz.core import activations

    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(inplace=True), nn.Dropout(), nn.Linear(8, 3)).eval()
    loaded = LoadedModel("head", net, Preprocess(resize=2, crop=2), None, "test", layers=discover_layers(net, 2))
    assert loaded.layer("3").same_as == "2" and loaded.layer("3").source == "2"
    x = torch.randn(1, 3, 2, 2, generator=torch.Generator().manual_seed(0))
    reference = _every_layer(loaded, x)
    forward = run(loaded, x)
    for name, tensor in reference.items():
        assert torch.equal(forward.activations.tensor(name), tensor), name
    every = forward.activations.on_cpu()  # as a pass on Apple's MPS hands it over
    assert every.kept == tuple(loaded.layer_names) and all(torch.equal(every.tensor(n), t) for n, t in reference.items())
    assert activations.plan(loaded).kept  # and planning ends


@pytest.mark.parametrize("name", ["alexnet", "mobilenet_v3_small", "shufflenet_v2_x0_5", "squeezenet1_1", "googlenet"])
def test_the_plan_holds_for_other_architectures_and_gives_every_layer_as_recorded(name):
    """The plan's check passes (no layer had to be kept for the check's sake) and every layer read
    from a pass equals recording them all, on architectures the Model menu offers or resembles."""
    from dlviz.core import activations

    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    net = torchvision.models.get_model(name, weights=None, **kwargs).eval()
    loaded = LoadedModel(name, net, Preprocess(), None, "random weights", layers=discover_layers(net))
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    forward = run(loaded, x)
    assert loaded.plan[1], "the plan's check failed"
    assert len(forward.activations.kept) < len(loaded.layers)
    reference = _every_layer(loaded, x)
    for layer, tensor in reference.items():
        assert torch.allclose(forward.activations.tensor(layer), tensor, rtol=1e-5, atol=1e-6), layer
    assert activations.plan(loaded).recipes and active_hooks(net) == 0


def _chained_layer(plan) -> str:
    """A layer the plan computes again through a module or more (not only another layer's tensor)."""
    for name in plan.recipes:
        modules, source = 0, name
        while source in plan.recipes:
            module, source = plan.recipes[source]
            modules += module is not None
        if modules:
            return name
    raise AssertionError("every layer is kept or another's tensor")


def test_a_layer_live_frames_read_is_traced_from_the_second_frame_on(loaded, x):
    """A layer computed again from a kept one: eager at the first frame that reads it, a trace
    of its modules from the second, with the eager pass's values throughout."""
    from dlviz.core.activations import run_traced

    fresh = LoadedModel(loaded.name, loaded.model, loaded.preprocess, None, "test", layers=loaded.layers)
    run_traced(fresh, x)
    run_traced(fresh, x)  # the pass's trace is made
    (_, _, plan), = fresh.traced.values()
    name = _chained_layer(plan)
    for seed in range(3):
        frame = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(seed))
        traced = run_traced(fresh, frame)
        np.testing.assert_allclose(traced.activations[name], run(fresh, frame).activations[name], rtol=1e-5, atol=1e-5)
        chains = [entry for key, entry in plan.chains.items() if key[0] == name]
        assert len(chains) == 1 and isinstance(chains[0], torch.jit.ScriptModule) == (seed > 0)
    assert active_hooks(loaded.model) == 0


class Rescaled(nn.Module):
    """A module that leaves torch for NumPy: a trace would keep one input's scale for every input."""

    def forward(self, x):
        return x * float(np.abs(x.detach().numpy()).mean())


def test_a_chain_a_trace_cannot_follow_stays_eager():
    from dlviz.core.activations import _trace_chain

    base = torch.randn(1, 4, 5, 5, generator=torch.Generator().manual_seed(3))
    assert _trace_chain([nn.ReLU(), Rescaled()], base) is None
    assert isinstance(_trace_chain([nn.ReLU(), nn.Conv2d(4, 2, 1)], base), torch.jit.ScriptModule)


@pytest.mark.parametrize("k", [0, 1, 5, 1000, 2000])
def test_top_gives_the_most_probable_classes_in_order(k):
    probs = np.random.default_rng(k).random(1000).astype(np.float32)
    probs /= probs.sum()
    top = Forward(probs, None, 0.0).top(k)
    expected = np.argsort(-probs, kind="stable")[:k]
    assert [index for index, _ in top] == expected.tolist()
    assert [p for _, p in top] == [float(probs[i]) for i in expected]


def test_top_orders_equal_probabilities_by_class_and_gives_nothing_for_no_k():
    probs = np.array([0.1, 0.3, 0.1, 0.3, 0.2], dtype=np.float32)
    assert [index for index, _ in Forward(probs, None, 0.0).top(4)] == [1, 3, 4, 0]
    assert Forward(probs, None, 0.0).top(0) == [] and Forward(probs, None, 0.0).top(-2) == []
