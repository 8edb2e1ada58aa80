"""Attribution checked against definitions: hand formulas on tiny nets with fixed weights, the
guided/deconv ReLU rules, a photo pasted into one quadrant, and the randomisation sanity check."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from dlviz.core import attribution as A
from dlviz.core.activations import active_hooks
from dlviz.core.progress import Callbacks


def _fixed(module: nn.Module, seed: int = 0) -> nn.Module:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
    return module.eval()


class TinyCamNet(nn.Module):
    """conv -> relu -> conv -> global average pool -> linear, sizes kept so the map is the input's size."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(4, 3, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        x = self.pool(self.conv2(self.relu(self.conv1(x))))
        return self.fc(x.flatten(1))


def _snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}, [p.requires_grad for p in model.parameters()], model.training


def _assert_untouched(model, before):
    state, flags, training = before
    assert active_hooks(model) == 0
    assert model.training == training
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


# --------------------------------------------------------------------------- Grad-CAM family


@pytest.mark.parametrize("class_index", [0, 1])
def test_gradcam_equals_the_formula_on_a_tiny_net(class_index):
    model = _fixed(TinyCamNet())
    x = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a = model.conv2(torch.relu(model.conv1(x)))[0]  # K×h×w
    # logit_c = sum_k W[c,k] mean(A_k) + b_c, so d logit_c / dA_kij = W[c,k] / (h w) and the
    # Grad-CAM weight of map k is the spatial mean of that, W[c,k] / (h w).
    h, w = a.shape[1:]
    weights = model.fc.weight[class_index].detach() / (h * w)
    expected = torch.relu((weights[:, None, None] * a).sum(0)).numpy()
    expected = expected / expected.max()
    before = _snapshot(model)
    got = A.cam(model, x, "conv2", class_index, "gradcam")
    assert got.dtype == np.float32 and got.shape == (8, 8)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    _assert_untouched(model, before)


def test_gradcampp_and_layercam_follow_their_formulas():
    model = _fixed(TinyCamNet(), seed=3)
    x = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        a = model.conv2(torch.relu(model.conv1(x)))[0].double()
    g = (model.fc.weight[1].detach().double() / 64)[:, None, None].expand_as(a)
    layercam = torch.relu((torch.relu(g) * a).sum(0))
    alpha = g**2 / (2 * g**2 + a.sum(dim=(1, 2), keepdim=True) * g**3)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    pp = torch.relu(((alpha * torch.relu(g)).sum(dim=(1, 2))[:, None, None] * a).sum(0))
    for method, expected in (("layercam", layercam), ("gradcam++", pp)):
        expected = (expected / expected.max()).numpy() if expected.max() > 0 else expected.numpy()
        np.testing.assert_allclose(A.cam(model, x, "conv2", 1, method), expected, atol=1e-5, err_msg=method)


def test_all_cam_methods_give_finite_unit_maps_of_input_size():
    model = _fixed(TinyCamNet())
    x = torch.randn(1, 3, 20, 20)
    before = _snapshot(model)
    with torch.no_grad():  # callers inside no_grad still get gradients
        for method in A.CAM_METHODS:
            seen = []
            m = A.cam(model, x, "relu", 0, method, batch=3, progress=Callbacks(lambda f, t, p: seen.append(f)))
            assert m.shape == (20, 20) and m.dtype == np.float32, method
            assert np.isfinite(m).all() and m.min() >= 0 and m.max() <= 1, method
            if method == "scorecam":
                assert seen and seen[-1] == pytest.approx(1.0)
    _assert_untouched(model, before)


def test_an_all_zero_map_stays_zero():
    model = _fixed(TinyCamNet())
    with torch.no_grad():
        model.conv2.weight.zero_()
        model.conv2.bias.zero_()
    assert not A.cam(model, torch.randn(1, 3, 8, 8), "conv2", 0).any()


def test_scorecam_stops_and_leaves_no_hooks():
    model = _fixed(TinyCamNet())
    before = _snapshot(model)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 1

    assert A.cam(model, torch.randn(1, 3, 8, 8), "relu", 0, "scorecam", batch=1, progress=Callbacks(should_stop=stop)) is None
    _assert_untouched(model, before)


def test_errors_leave_no_hooks():
    model = _fixed(TinyCamNet())
    x = torch.randn(1, 3, 8, 8)
    with pytest.raises(IndexError):
        A.cam(model, x, "conv2", 7)
    with pytest.raises(IndexError):
        A.backprop(model, x, "conv2", 9, "guided")
    with pytest.raises(KeyError):
        A.cam(model, x, "nope", 0)
    assert active_hooks(model) == 0


# --------------------------------------------------------------------------- backprop rules


def _two_layer(relu: nn.Module) -> nn.Sequential:
    return _fixed(nn.Sequential(nn.Conv2d(3, 5, 1), relu, nn.Conv2d(5, 2, 1)), seed=4)


@pytest.mark.parametrize("relu", [nn.ReLU(), nn.ReLU(inplace=True), nn.ReLU6(inplace=True)])
def test_gradient_guided_deconv_match_their_definitions(relu):
    """1×1 convs: per pixel, objective = W2[u] · relu(W1 x + b1). By definition
    vanilla = W1ᵀ (W2[u] ⊙ on), guided = W1ᵀ (relu(W2[u]) ⊙ on), deconv = W1ᵀ relu(W2[u]),
    where `on` says the ReLU's forward input was in its linear range."""
    model = _two_layer(relu)
    x = torch.randn(1, 3, 6, 6, generator=torch.Generator().manual_seed(5)) * 3
    w1 = model[0].weight[:, :, 0, 0].detach()
    w2 = model[2].weight[1, :, 0, 0].detach()
    with torch.no_grad():
        pre = model[0](x)[0]  # 5×6×6
    upper = 6.0 if isinstance(relu, nn.ReLU6) else float("inf")
    on = ((pre > 0) & (pre < upper)).float()
    expect = {
        "gradient": torch.einsum("kc,khw->chw", w1, w2[:, None, None] * on),
        "guided": torch.einsum("kc,khw->chw", w1, torch.relu(w2)[:, None, None] * on),
        "deconv": torch.einsum("kc,khw->chw", w1, torch.relu(w2)[:, None, None].expand_as(on)),
    }
    before = _snapshot(model)
    for method, expected in expect.items():
        got = A.backprop(model, x, "2", 1, method)
        assert got.dtype == np.float32 and got.shape == (3, 6, 6)
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-5, err_msg=method)
    _assert_untouched(model, before)


@pytest.mark.parametrize("relu", [nn.ReLU(inplace=True), nn.ReLU6()])
def test_guided_is_zero_where_the_forward_relu_was_off(relu):
    """The first module is the ReLU, so the input is the ReLU's input and its mask is visible."""
    model = _fixed(nn.Sequential(relu, nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 3, padding=1)))
    x = torch.randn(1, 3, 10, 10, generator=torch.Generator().manual_seed(6)) * 4
    x_before = x.clone()
    upper = 6.0 if isinstance(relu, nn.ReLU6) else float("inf")
    off = ((x <= 0) | (x >= upper))[0].numpy()
    guided = A.backprop(model, x, "3", 0, "guided")
    deconv = A.backprop(model, x, "3", 0, "deconv")
    assert torch.equal(x, x_before)  # an in-place ReLU did not overwrite the caller's tensor
    assert np.all(guided[off] == 0)
    assert np.abs(guided[~off]).sum() > 0
    assert np.abs(deconv[off]).sum() > 0  # the deconvnet ignores the forward sign
    assert not np.allclose(guided, deconv)
    assert active_hooks(model) == 0


def test_output_layer_and_vector_layers():
    model = _fixed(TinyCamNet())
    x = torch.randn(1, 3, 8, 8)
    # layer None: logit 1; the layer "fc" unit 1 is the same value
    np.testing.assert_allclose(A.backprop(model, x, None, 1), A.backprop(model, x, "fc", 1), atol=1e-6)
    x_in = x.clone().requires_grad_(True)
    model(x_in)[0, 1].backward()
    np.testing.assert_allclose(A.backprop(model, x, None, 1), x_in.grad[0].numpy(), atol=1e-6)


def test_smoothgrad_with_one_clean_sample_is_the_gradient():
    model = _fixed(TinyCamNet())
    x = torch.randn(1, 3, 8, 8)
    np.testing.assert_array_equal(
        A.backprop(model, x, "conv2", 2, "smoothgrad", samples=1, noise=0.0), A.backprop(model, x, "conv2", 2)
    )


def test_smoothgrad_reports_and_stops():
    model = _fixed(TinyCamNet())
    seen = []
    grad = A.backprop(
        model, torch.randn(1, 3, 8, 8), "conv2", 0, "smoothgrad", samples=8,
        progress=Callbacks(lambda f, t, p: seen.append(f), lambda: len(seen) >= 3),
    )
    assert len(seen) == 3 and grad.shape == (3, 8, 8) and np.isfinite(grad).all()
    assert active_hooks(model) == 0


# --------------------------------------------------------------------------- display filters


def test_display_filters():
    grad = np.zeros((3, 224, 224), np.float32)
    grad[0, 10, 20] = 2.0
    grad[1, 10, 20] = -1.0
    raw = A.display(grad, "raw")
    assert raw.shape == (224, 224, 3) and raw.dtype == np.float32
    assert raw[10, 20, 0] == pytest.approx(1.0) and raw[10, 20, 1] == pytest.approx(0.25) and raw[0, 0, 0] == 0.5
    grey = A.display(grad, "grey")
    assert grey[10, 20, 0] == pytest.approx(0.5 + (1 / 3) / (2 * 1 / 3)) and grey[0, 0, 1] == 0.5
    norm = A.display(grad, "norm")
    assert norm[10, 20, 0] == pytest.approx(1.0) and norm[0, 0, 0] == 0
    blur = A.display(grad, "norm-blur")
    assert blur.max() == pytest.approx(1.0) and blur[10, 20, 0] == pytest.approx(1.0)
    assert blur[10, 24, 0] > 0.3 and blur[10, 40, 0] < 0.01  # about 4 px of spread at 224
    for mode in A.FILTERS:
        image = A.display(np.zeros((3, 5, 5), np.float32), mode)
        assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1
    with pytest.raises(ValueError):
        A.display(grad, "sepia")


# --------------------------------------------------------------------------- the bundled model


@pytest.fixture(scope="module")
def quadrant_cat(bundled, chelsea):
    """Chelsea shrunk into the top-left 112×112 of the model's 224×224 crop of a grey canvas."""
    from dlviz.core.images import load_image

    cat = np.array(Image.fromarray(load_image(chelsea)).resize((112, 112), Image.Resampling.BICUBIC))
    canvas = np.full((256, 256, 3), 128, np.uint8)  # resize 256 keeps it; the crop is [16:240]
    canvas[16:128, 16:128] = cat
    return bundled.preprocess.to_tensor(canvas)


def test_gradcam_peaks_in_the_quadrant_of_the_pasted_photo(bundled, quadrant_cat):
    from dlviz.core.activations import run

    top = run(bundled, quadrant_cat, layers=[]).top(1)[0][0]
    assert top in (281, 282, 285)  # tabby, tiger cat, Egyptian cat
    layer = A.default_cam_layer(bundled)
    assert layer == "bn2"
    before = _snapshot(bundled.model)
    m = A.cam(bundled.model, quadrant_cat, layer, top)
    y, x = np.unravel_index(np.argmax(m), m.shape)
    assert y < 112 and x < 112
    assert m[:112, :112].mean() > 4 * max(m[112:, :].mean(), m[:, 112:].mean())
    _assert_untouched(bundled.model, before)

    # Adebayo et al.: re-initialising the top layers must change the explanation
    names = A.parameterised_layers(bundled.model)
    assert names[-1] == "classifier" and names[-2] == "bn2" and names[-3] == "conv_head"
    scrambled = A.randomised(bundled.model, 3)
    other = A.cam(scrambled, quadrant_cat, layer, top)
    assert np.isfinite(other).all()
    assert not other.any() or np.corrcoef(m.ravel(), other.ravel())[0, 1] < 0.5
    _assert_untouched(bundled.model, before)


def test_randomised_reinitialises_from_the_top_only():
    model = _fixed(TinyCamNet())
    assert A.parameterised_layers(model) == ["conv1", "conv2", "fc"]
    before = _snapshot(model)
    copy = A.randomised(model, 2)
    _assert_untouched(model, before)
    assert copy is not model and not copy.training
    assert torch.equal(copy.conv1.weight, model.conv1.weight)
    assert not torch.equal(copy.conv2.weight, model.conv2.weight)
    assert not torch.equal(copy.fc.weight, model.fc.weight)
    assert torch.equal(A.randomised(model, 2).fc.weight, copy.fc.weight)  # seeded
    assert torch.equal(A.randomised(model, 0).fc.weight, model.fc.weight)


def test_randomised_weights_do_not_depend_on_the_layout():
    """The same seed gives the same re-initialised weights whether the model's convolutions are
    channels-last (the CPU's layout, devices.lay_out) or not, and the copy keeps the model's layout."""
    plain = _fixed(TinyCamNet())
    laid_out = copy.deepcopy(plain).to(memory_format=torch.channels_last)
    a, b = A.randomised(plain, 3), A.randomised(laid_out, 3)
    assert torch.equal(a.conv1.weight, b.conv1.weight) and torch.equal(a.conv2.weight, b.conv2.weight)
    assert b.conv2.weight.is_contiguous(memory_format=torch.channels_last) and a.conv2.weight.is_contiguous()


def test_default_cam_layer_of_resnet18():
    import torchvision

    from dlviz.core.models import LoadedModel, Preprocess, discover_layers

    model = torchvision.models.resnet18(weights=None).eval()
    loaded = LoadedModel("resnet18", model, Preprocess(), None, "test", layers=discover_layers(model, 64))
    assert A.default_cam_layer(loaded) == "layer4"


def test_hooks_leave_other_threads_alone():
    """The GUI may run a plain forward pass over the same model while a backprop job holds hooks."""
    import threading

    model = _fixed(nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(inplace=True), nn.Conv2d(4, 2, 1)))
    x = torch.randn(1, 3, 4, 4)
    with torch.no_grad():
        expected = model(x)
    results = []
    with A.ReLUHooks(model, "deconv"), A.LayerCapture(model, "1", "objective", 0):
        worker = threading.Thread(target=lambda: results.append(model(x).detach()))
        worker.start()
        worker.join()
    assert len(results) == 1 and torch.equal(results[0], expected)
    assert active_hooks(model) == 0


def test_scorecam_hears_a_stop_inside_a_batch_of_masks(bundled, chelsea):
    """Score-CAM checked for a stop once per batch of 32 masked images (1.7 s on a laptop CPU);
    now the pass itself stops at the next layer once the stop is asked for."""
    from dlviz.core.activations import _modules_by_name
    from torch.nn.modules.module import register_module_forward_pre_hook

    ran_after_stop = []
    asked = {"armed": False, "stop": False, "modules": 0}
    modules = set(map(id, _modules_by_name(bundled.model).values()))

    def count(module, args):
        if asked["armed"] and id(module) in modules:
            asked["modules"] += 1
            asked["stop"] = asked["stop"] or asked["modules"] >= 20  # a stop asked mid-pass
            if asked["stop"]:
                ran_after_stop.append(module)

    def stop():
        return asked["stop"]

    def report(fraction, text, partial):
        asked["armed"] = True  # the first batch is done: the stop comes 20 layers into the second

    from dlviz.core.images import load_image

    x = bundled.preprocess.to_tensor(load_image(chelsea))
    handle = register_module_forward_pre_hook(count)
    try:
        result = A.cam(bundled.model, x, A.default_cam_layer(bundled), 0, "scorecam", batch=32,
                       progress=Callbacks(report, stop))
    finally:
        handle.remove()
    assert result is None
    assert len(ran_after_stop) <= 1, f"{len(ran_after_stop)} modules ran after the stop"
    assert active_hooks(bundled.model) == 0


# --------------------------------------------------------------------------- traced gradients


@pytest.mark.parametrize("layer, unit", [("conv2", 2), (None, 1)])
def test_the_gradient_goes_through_a_trace_from_the_second_ask_and_stays_exact(layer, unit):
    model = _fixed(TinyCamNet())
    before = _snapshot(model)
    for seed in range(3):
        x = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
        got = A.backprop(model, x, layer, unit)
        x_in = x.clone().requires_grad_(True)
        with torch.enable_grad():
            out = model(x_in)[0, unit] if layer is None else model.conv2(model.relu(model.conv1(x_in)))[0, unit].sum()
            (want,) = torch.autograd.grad(out, x_in)
        np.testing.assert_allclose(got, want[0].numpy(), atol=1e-6)
        made = [entry for key, entry in A._TO_LAYER[model].items() if key[0] == layer]
        assert len(made) == 1 and isinstance(made[0], torch.jit.ScriptModule) == (seed > 0)
    _assert_untouched(model, before)


class ThroughNumpyNet(nn.Module):
    """A pass that leaves torch for NumPy: a trace would keep one input's scale for every input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        y = self.conv(x)
        return self.head(y * float(np.abs(y.detach().numpy()).mean()))


def test_a_pass_a_trace_cannot_follow_keeps_the_eager_gradient(monkeypatch):
    model = _fixed(ThroughNumpyNet())
    xs = [torch.randn(1, 3, 6, 6, generator=torch.Generator().manual_seed(seed)) * (seed + 1) for seed in range(3)]
    got = [A.backprop(model, x, "head", 1) for x in xs]
    assert list(A._TO_LAYER[model].values()) == [None]  # found to differ on noise, not kept
    monkeypatch.setenv("DLVIZ_TRACE", "0")  # the eager gradient, as a reference
    for x, ours in zip(xs, got):
        np.testing.assert_allclose(ours, A.backprop(model, x, "head", 1), atol=1e-6)


def test_a_model_let_go_takes_its_traced_gradients_with_it():
    import gc
    import weakref

    model = _fixed(TinyCamNet())
    for seed in range(3):
        A.backprop(model, torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(seed)), "conv2", 0)
    assert model in A._TO_LAYER
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None
