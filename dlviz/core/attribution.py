"""Why a unit fires: gradients at the input (vanilla, guided, deconvnet, SmoothGrad) and class
attention maps (Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM), as plain functions over tensors.

Rules every function here keeps:

- gradients are taken with `torch.autograd.grad` with respect to the input or one activation
  only, so no parameter's `.grad` is ever written and no `requires_grad` flag is touched;
- they work under `torch.enable_grad()`, so calling them inside `torch.no_grad()` is fine;
- the model's mode (eval/train) and weights are left as they are;
- every hook is owned by a context manager that registers it in `__enter__` and removes it in
  `finally`, also when the work is cancelled or fails; hooks act only on the thread that
  registered them, so another thread's forward pass over the same model is left alone.

ReLU handling for guided backprop and the deconvnet: only ReLUs that are *modules* (`nn.ReLU`,
`nn.ReLU6`, in place or not; timm's activation layers are such modules) have their backward
rule replaced. A functional `F.relu` / `torch.relu` called inside some `forward` cannot be hooked
and keeps its ordinary gradient.
"""

from __future__ import annotations

import copy
import math
import threading
import warnings
import weakref

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlviz import runtime
from dlviz.core import catalogue, devices
from dlviz.core.activations import EndPass, OwnedHook, StopWithin, traced_allowed
from dlviz.core.errors import Cancelled
from dlviz.core.progress import Progress, given
from dlviz.core.second_ask import made_at_second_ask

METHODS = tuple(catalogue.BACKPROP_METHODS)
FILTERS = tuple(catalogue.FILTERS)
CAM_METHODS = tuple(catalogue.CAM_METHODS)

_RELUS = (nn.ReLU, nn.ReLU6)


# --------------------------------------------------------------------------- hooks


class _ReLURule(torch.autograd.Function):
    """clamp(x, 0, upper) with a replaced backward: guided backprop or the deconvnet rule."""

    @staticmethod
    def forward(ctx, x, upper, guided):
        y = x.clamp(0.0, upper) if math.isfinite(upper) else x.clamp(min=0.0)
        ctx.guided = guided
        if guided:
            ctx.save_for_backward((x > 0) & (x < upper))
        return y

    @staticmethod
    def backward(ctx, grad):
        positive = grad.clamp(min=0.0)
        if ctx.guided:
            (on,) = ctx.saved_tensors
            return positive * on, None, None
        return positive, None, None


class ReLUHooks:
    """Replace the backward rule of every ReLU module of `model` while the block runs.

    A forward pre-hook keeps the ReLU's input (and gives an in-place ReLU a copy to overwrite,
    so the input survives); a forward hook then returns `_ReLURule(input)` in place of the
    module's own output, so the module's ordinary gradient is no longer on the path.
    """

    def __init__(self, model: nn.Module, rule: str):
        if rule not in ("guided", "deconv"):
            raise ValueError(f"unknown ReLU rule '{rule}'")
        self.model = model
        self.guided = rule == "guided"
        self._handles = []
        self._inputs: dict[int, torch.Tensor] = {}
        self._thread = threading.get_ident()

    def _pre(self, module, args):
        if threading.get_ident() != self._thread:  # another thread's pass over the same model
            return None
        x = args[0]
        self._inputs[id(module)] = x
        if getattr(module, "inplace", False):
            return (x.clone(), *args[1:])
        return None

    def _post(self, module, args, output):
        if threading.get_ident() != self._thread:
            return None
        x = self._inputs.pop(id(module), None)
        if x is None or not isinstance(x, torch.Tensor):
            return None
        upper = float(module.max_val) if isinstance(module, nn.ReLU6) else math.inf
        return _ReLURule.apply(x, upper, self.guided)

    def __enter__(self):
        try:
            for module in self.model.modules():
                if isinstance(module, _RELUS):
                    self._handles.append(module.register_forward_pre_hook(self._pre))
                    self._handles.append(module.register_forward_hook(self._post))
        except BaseException:
            self._remove()
            raise
        return self

    def _remove(self):
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._inputs.clear()

    def __exit__(self, *exc):
        self._remove()
        return False


class LayerCapture(OwnedHook):
    """Capture one layer's output during a forward pass (the last call, if it runs twice).

    mode "objective": keep `output[0, unit].sum()` (computed at once, before anything later in
    the pass can change the output in place) and end the pass there: nothing after the layer is
    needed for a gradient at the input.

    mode "activation": keep the output, detached and requiring grad, as the start of the graph
    (everything before it needs no backward), and hand a copy on down the network, so in-place
    operations later in the pass cannot change the kept values.

    mode "output": keep the output as it is and end the pass there (for a trace of the pass up to
    the layer).
    """

    def __init__(self, model: nn.Module, layer: str, mode: str, unit: int = 0):
        try:
            self.module = model.get_submodule(layer)
        except AttributeError:
            raise KeyError(f"the model has no layer '{layer}'") from None
        self.layer = layer
        self.mode = mode
        self.unit = unit
        self.value: torch.Tensor | None = None
        self._handle = None
        self._thread = threading.get_ident()

    def _hook(self, module, args, output):
        if threading.get_ident() != self._thread:  # another thread's pass over the same model
            return None
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"layer '{self.layer}' does not output a tensor")
        if self.mode == "objective":
            self.value = _unit_objective(output, self.unit)
            raise EndPass
        if self.mode == "output":
            self.value = output
            raise EndPass
        activation = output.detach().requires_grad_(True)
        self.value = activation
        return activation.clone()

    def __enter__(self):
        self._handle = self.module.register_forward_hook(self._hook)
        return self



def _unit_objective(output: torch.Tensor, unit: int) -> torch.Tensor:
    """The sum of unit `unit`'s map (C×H×W output) or its single value (vector output)."""
    if output.dim() < 2:
        raise ValueError("the layer's output has no unit axis")
    if not 0 <= unit < output.shape[1]:
        raise IndexError(f"unit {unit} is outside 0..{output.shape[1] - 1}")
    return output[0, unit].sum()


def _logit(logits: torch.Tensor, unit: int) -> torch.Tensor:
    if not 0 <= unit < logits.shape[1]:
        raise IndexError(f"class {unit} is outside 0..{logits.shape[1] - 1}")
    return logits[0, unit]


def _logits(output) -> torch.Tensor:
    if isinstance(output, (tuple, list)):
        output = output[0]
    return output.reshape(output.shape[0], -1)


# --------------------------------------------------------------------------- backprop


class _ToLayer(nn.Module):
    """The model's pass up to `layer`'s output (the first, where it runs twice), or to its
    flattened logits with `layer` None, as one module that can be traced."""

    def __init__(self, model: nn.Module, layer: str | None):
        super().__init__()
        self.model, self.layer = model, layer

    def forward(self, x):
        if self.layer is None:
            return _logits(self.model(x))
        with LayerCapture(self.model, self.layer, "output") as capture:
            try:
                self.model(x)
            except EndPass:
                pass
        if capture.value is None:
            raise ValueError(f"layer '{self.layer}' did not run in the forward pass")
        return capture.value


_TO_LAYER: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()
_TO_LAYER_LOCK = threading.Lock()


def _traced_to_layer(model: nn.Module, x: torch.Tensor, layer: str | None):
    """A TorchScript trace of `_ToLayer(model, layer)` for inputs like `x`, made the second time
    a gradient through that layer is asked for (the first goes eager) and kept with the model;
    None before that, or where the trace cannot be made or differs from the eager pass.

    Why: the eager pass goes back to Python between its operations and waits for the
    interpreter lock each time; live, the GUI thread holds it while it draws. The bundled model's
    gradient at its default layer took 154 ms beside a thread running Python, 49 ms traced
    (50 and 46 ms alone). Autograd runs through the trace's operations as through the eager
    ones, so the gradient is the same to the last bit (docs/decisions/0010)."""
    if not traced_allowed():
        return None
    with _TO_LAYER_LOCK:
        made = _TO_LAYER.setdefault(model, {})
    key = (layer, tuple(x.shape), x.dtype, x.device, model.training)
    return made_at_second_ask(made, key, lambda: _trace_to_layer(model, x, layer), _TO_LAYER_LOCK)


def _trace_to_layer(model, x, layer):
    """The trace, checked against the eager pass on `x` and on noise (a trace keeps whatever
    Python computed from the values): the layer's output and its gradient at the input."""
    eager = _ToLayer(model, layer)
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0)).to(x.device, x.dtype)
    try:
        with torch.no_grad(), warnings.catch_warnings(), torch.jit.optimized_execution(False), runtime.short_turns():
            warnings.simplefilter("ignore")  # the tracer's notes on shape arithmetic, and its deprecation
            graph = torch.jit.trace(eager, x, check_trace=False)
        for sample in (x, noise):
            ours, theirs = (_output_and_gradient(run, sample) for run in (graph, eager))
            if not all(torch.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(ours, theirs)):
                return None
    except Exception:  # a pass the tracer cannot follow keeps the eager gradient
        return None
    return graph


def _output_and_gradient(run, x):
    x_in = x.detach().clone().requires_grad_(True)
    with torch.enable_grad(), torch.jit.optimized_execution(False):
        output = run(x_in)
        if not output.requires_grad:
            return output.detach(), torch.zeros_like(x_in)
        (grad,) = torch.autograd.grad(output.sum(), x_in, allow_unused=True)
    return output.detach(), torch.zeros_like(x_in) if grad is None else grad


def _input_gradient(model, x, layer, unit, rule) -> torch.Tensor:
    x_in = x.detach().clone().requires_grad_(True)
    graph = _traced_to_layer(model, x, layer) if rule is None else None
    if graph is not None:
        with torch.enable_grad(), torch.jit.optimized_execution(False):
            output = graph(x_in)
            objective = _unit_objective(output, unit) if layer is not None else _logit(output, unit)
            if not objective.requires_grad:
                return torch.zeros_like(x_in)
            (grad,) = torch.autograd.grad(objective, x_in, allow_unused=True)
        return torch.zeros_like(x_in) if grad is None else grad
    with torch.enable_grad():
        relu_hooks = ReLUHooks(model, rule) if rule else None
        try:
            if relu_hooks:
                relu_hooks.__enter__()
            if layer is None:
                objective = _logit(_logits(model(x_in)), unit)
            else:
                with LayerCapture(model, layer, "objective", unit) as capture:
                    try:
                        model(x_in)
                    except EndPass:
                        pass
                if capture.value is None:
                    raise ValueError(f"layer '{layer}' did not run in the forward pass")
                objective = capture.value
        finally:
            if relu_hooks:
                relu_hooks.__exit__(None, None, None)
        if not objective.requires_grad:
            return torch.zeros_like(x_in)
        (grad,) = torch.autograd.grad(objective, x_in, allow_unused=True)
    return torch.zeros_like(x_in) if grad is None else grad


def backprop(
    model: nn.Module,
    x: torch.Tensor,
    layer: str | None,
    unit: int,
    method: str = "gradient",
    *,
    samples: int = 16,
    noise: float = 0.15,
    progress: Progress | None = None,
    seed: int = 0,
) -> np.ndarray:
    """d(objective)/d(input) as float32 3×H×W for the input `x` (1×3×H×W).

    The objective is the sum of unit `unit`'s map at `layer` (a module name), or its value for
    a vector output; with `layer=None`, the model's logit `unit`. Methods:

    - "gradient": the plain gradient;
    - "guided": guided backprop, each ReLU module passes back only positive gradient where its
      forward input was positive (and below 6 for ReLU6);
    - "deconv": Zeiler and Fergus's deconvnet, each ReLU module passes back the positive part
      of the gradient whatever its forward input was;
    - "smoothgrad": the mean plain gradient over `samples` copies of `x` with Gaussian noise of
      std `noise` × (x.max() - x.min()) (seeded by `seed`, so a view does not flicker). It
      reports after each sample and, when `progress.should_stop()` turns true, returns the mean
      of the samples done so far (zeros if none).

    Functional relus (not modules) keep their ordinary gradient in every method. A layer whose
    module runs more than once per pass (resnet's shared "layer4.1.relu") is taken at its first
    call; the forward pass stops there, since nothing after the layer is needed.
    """
    if method not in METHODS:
        raise ValueError(f"unknown backprop method '{method}'; use one of {', '.join(METHODS)}")
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError("x must be one image, shaped 1×3×H×W")
    x = devices.put(x, devices.of(model))
    if method != "smoothgrad":
        rule = None if method == "gradient" else method
        return devices.to_numpy(_input_gradient(model, x, layer, unit, rule)[0])

    progress = given(progress)
    sigma = float(noise) * float(x.max() - x.min())
    generator = torch.Generator().manual_seed(seed)
    total = torch.zeros_like(x[0], dtype=torch.float32)
    done = 0
    for k in range(max(1, int(samples))):
        if progress.should_stop():
            break
        # drawn on the CPU, so that the seed gives the same noise on every device
        noisy = x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device) if sigma > 0 else x
        total += _input_gradient(model, noisy, layer, unit, None)[0].float()
        done += 1
        progress.report(done / max(1, int(samples)), f"smoothgrad {done}/{samples}")
    if done:
        total /= done
    return devices.to_numpy(total)


# --------------------------------------------------------------------------- display filters


def _symmetric(values: np.ndarray) -> np.ndarray:
    peak = float(np.abs(values).max()) if values.size else 0.0
    if peak <= 0 or not math.isfinite(peak):
        return np.full(values.shape, 0.5, np.float32)
    return (values / (2 * peak) + 0.5).astype(np.float32)


def _unit_scale(values: np.ndarray) -> np.ndarray:
    peak = float(values.max()) if values.size else 0.0
    if peak <= 0 or not math.isfinite(peak):
        return np.zeros(values.shape, np.float32)
    return (values / peak).astype(np.float32)


def display(grad: np.ndarray, mode: str = "raw") -> np.ndarray:
    """A 3×H×W gradient as an H×W×3 float32 image in [0, 1], as the toolbox's back pane shows it.

    raw: the signed gradient per colour, 0 at mid-grey, scaled by the largest magnitude;
    grey: the mean over colours, the same way; norm: each pixel's L2 norm over colours, scaled
    to [0, 1]; norm-blur: the norm blurred by a Gaussian of sigma 4 px at 224 px, then scaled.
    """
    grad = np.nan_to_num(np.asarray(grad, dtype=np.float32))
    if grad.ndim != 3:
        raise ValueError("grad must be shaped C×H×W")
    if mode == "raw":
        image = _symmetric(grad.transpose(1, 2, 0))
        if image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        return np.ascontiguousarray(image[:, :, :3], dtype=np.float32)
    if mode == "grey":
        grey = _symmetric(grad.mean(axis=0))
    elif mode in ("norm", "norm-blur"):
        norm = np.sqrt((grad.astype(np.float64) ** 2).sum(axis=0))
        if mode == "norm-blur":
            from scipy.ndimage import gaussian_filter

            norm = gaussian_filter(norm, sigma=4.0 * max(norm.shape) / 224.0, mode="nearest")
        grey = _unit_scale(norm)
    else:
        raise ValueError(f"unknown filter '{mode}'; use one of {', '.join(FILTERS)}")
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2), dtype=np.float32)


# --------------------------------------------------------------------------- class attention maps


def _finish_map(weighted: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """ReLU, bilinear upsampling to `size`, divide by the maximum (an all-zero map stays zero)."""
    m = F.relu(weighted.detach().float()).reshape(1, 1, *weighted.shape[-2:])
    m = F.interpolate(m, size=size, mode="bilinear", align_corners=False)[0, 0].clamp(min=0.0)
    peak = float(m.max())
    if peak <= 0 or not math.isfinite(peak):
        return np.zeros(size, np.float32)
    return devices.to_numpy(m / peak)


def _activation_and_gradient(model, x, layer, class_index):
    """The layer's activation A (1×K×h×w) and d logit[class] / dA, from one forward pass and
    one backward pass that stops at the layer."""
    with torch.enable_grad():
        with LayerCapture(model, layer, "activation") as capture:
            logits = _logits(model(x.detach()))
        activation = capture.value
        if activation is None:
            raise ValueError(f"layer '{layer}' did not run in the forward pass")
        if activation.dim() != 4:
            raise ValueError(f"layer '{layer}' has no C×H×W output: pick a convolutional layer")
        if not 0 <= class_index < logits.shape[1]:
            raise IndexError(f"class {class_index} is outside 0..{logits.shape[1] - 1}")
        logit = logits[0, class_index]
        if not logit.requires_grad:
            return activation.detach(), torch.zeros_like(activation), logits.detach()
        (grad,) = torch.autograd.grad(logit, activation, allow_unused=True)
    if grad is None:
        grad = torch.zeros_like(activation)
    return activation.detach(), grad.detach(), logits.detach()


def _gradcam_weights(activation, grad):
    return grad.mean(dim=(2, 3), keepdim=True)


def _gradcampp_weights(activation, grad):
    """Chattopadhay et al.: with Y = exp(S), the exp factors cancel in alpha, leaving powers of
    dS/dA; w_k = sum_ij alpha_kij relu(dS/dA_kij)."""
    g2 = grad.pow(2)
    g3 = g2 * grad
    sum_a = activation.sum(dim=(2, 3), keepdim=True)
    denominator = 2 * g2 + sum_a * g3
    denominator = torch.where(denominator != 0, denominator, torch.ones_like(denominator))
    alpha = torch.where(grad != 0, g2 / denominator, torch.zeros_like(g2))
    return (alpha * F.relu(grad)).sum(dim=(2, 3), keepdim=True)


def _score_weights(model, x, activation, class_index, batch, progress: Progress):
    """Score-CAM: each channel, upsampled and scaled to [0, 1], masks the input; the softmax
    score of the class for the masked input is the channel's weight. None if stopped."""
    size = x.shape[-2:]
    channels = activation.shape[1]
    weights = torch.zeros(channels, device=activation.device)
    upsampled = F.interpolate(activation, size=size, mode="bilinear", align_corners=False)[0]
    low = upsampled.amin(dim=(1, 2))
    high = upsampled.amax(dim=(1, 2))
    live = torch.nonzero(high > low).flatten().tolist()  # a flat channel masks nothing useful
    batch = max(1, int(batch))
    x = x.detach()
    try:
        with torch.no_grad(), StopWithin(progress):  # a stop is heard inside a batch's pass too
            for start in range(0, len(live), batch):
                if progress.should_stop():
                    return None
                index = live[start:start + batch]
                masks = (upsampled[index] - low[index, None, None]) / (high - low)[index, None, None]
                probs = torch.softmax(_logits(model(x * masks[:, None])).float(), dim=1)
                weights[index] = probs[:, class_index]
                progress.report(min(1.0, (start + len(index)) / len(live)), f"scorecam {start + len(index)}/{len(live)} channels")
    except Cancelled:
        return None
    return weights.view(1, -1, 1, 1)


def cam(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    class_index: int,
    method: str = "gradcam",
    *,
    batch: int = 32,
    progress: Progress | None = None,
) -> np.ndarray | None:
    """A class attention map, float32 H×W of the input's size, in [0, 1].

    A is the output of `layer` (K×h×w), g = d logit[class_index] / dA.
    gradcam: ReLU(sum_k mean(g_k) A_k); gradcam++: weights sum_ij alpha_kij ReLU(g_kij) with
    alpha = g² / (2g² + sum_ab A_kab · g³); layercam: ReLU(sum_k ReLU(g_k) ⊙ A_k); scorecam:
    weights are the class's softmax score for the input masked by each channel (batched
    `batch` masks per forward pass, reported, None if `progress.should_stop()`).
    The map is upsampled bilinearly and divided by its maximum; an all-zero map stays zero.
    """
    if method not in CAM_METHODS:
        raise ValueError(f"unknown CAM method '{method}'; use one of {', '.join(CAM_METHODS)}")
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError("x must be one image, shaped 1×3×H×W")
    size = tuple(x.shape[-2:])
    progress = given(progress)
    x = devices.put(x, devices.of(model))
    if method == "scorecam":
        with torch.no_grad(), LayerCapture(model, layer, "activation") as capture:
            logits = _logits(model(x.detach()))
        activation = capture.value
        if activation is None or activation.dim() != 4:
            raise ValueError(f"layer '{layer}' has no C×H×W output: pick a convolutional layer")
        if not 0 <= class_index < logits.shape[1]:
            raise IndexError(f"class {class_index} is outside 0..{logits.shape[1] - 1}")
        activation = activation.detach().float()
        weights = _score_weights(model, x, activation, class_index, batch, progress)
        if weights is None:
            return None
        return _finish_map((weights * activation).sum(dim=1)[0], size)
    if progress.should_stop():
        return None
    activation, grad, _ = _activation_and_gradient(model, x, layer, class_index)
    activation, grad = activation.float(), grad.float()
    if method == "layercam":
        weighted = (F.relu(grad) * activation).sum(dim=1)[0]
    else:
        weights = _gradcam_weights(activation, grad) if method == "gradcam" else _gradcampp_weights(activation, grad)
        weighted = (weights * activation).sum(dim=1)[0]
    progress.report(1.0, method)
    return _finish_map(weighted, size)


def default_cam_layer(loaded) -> str:
    """The last convolutional stage: the map layer (C×H×W output) whose output is ready last in
    the forward pass, pooling layers and modules that run more than once left out
    (resnet18: "layer4"; the bundled EfficientNet-Lite0: "bn2")."""
    maps = [
        info for info in loaded.layers
        if info.kind == "map" and "Pool" not in info.type and info.calls == 1
    ]
    if not maps:
        raise ValueError(f"{loaded.name} has no layer with a C×H×W output for class attention maps")
    return max(maps, key=lambda info: info.finish).name


# --------------------------------------------------------------------------- sanity check


def _own_parameters(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False))


def parameterised_layers(model: nn.Module) -> list[str]:
    """Names of the modules that hold parameters themselves, in named_modules order."""
    return [name for name, module in model.named_modules() if name and _own_parameters(module)]


def randomised(model: nn.Module, upto: int, *, seed: int = 0) -> nn.Module:
    """A deep copy of `model` whose last `upto` parameterised layers (from the output down: the
    classifier first) are re-initialised, for Adebayo et al.'s cascading randomisation check.

    Each layer's `reset_parameters()` is used where it has one (batch norm also forgets its
    running statistics); other modules' weights get a normal init (std 0.02) and biases zero.
    The re-initialisation is seeded, so the same `upto` gives the same model; the global random
    state is left as it was. The original model is not touched.
    """
    device = devices.of(model)
    # Re-initialised on the CPU, whose random numbers the seed fixes the same way everywhere
    # (and fork_rng puts back), then moved to the model's device.
    # In the default layout: the random numbers fill a tensor in memory order, and a channels-last
    # weight (devices.lay_out) would get other values from the same seed.
    layout = devices.layout_of(model)
    clone = copy.deepcopy(model).cpu().to(memory_format=torch.contiguous_format)
    names = parameterised_layers(clone)
    chosen = names[len(names) - max(0, min(int(upto), len(names))):] if upto > 0 else []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for name in reversed(chosen):
            module = clone.get_submodule(name)
            if callable(getattr(module, "reset_parameters", None)):
                module.reset_parameters()
                if callable(getattr(module, "reset_running_stats", None)):
                    module.reset_running_stats()
            else:
                for pname, parameter in module.named_parameters(recurse=False):
                    if pname.endswith("bias"):
                        parameter.zero_()
                    else:
                        nn.init.normal_(parameter, std=0.02)
    clone.train(model.training)
    return clone.to(device, memory_format=layout)
