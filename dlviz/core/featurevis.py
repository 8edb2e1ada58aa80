"""Feature visualisation: optimise an input image until a chosen unit (or class logit) fires strongly.

Two families of regularisers, both optional and combinable:

- the Deep Visualization Toolbox's (Yosinski et al., 2015): L2 decay, a Gaussian blur every k
  steps, zeroing pixels of small norm and pixels of small contribution to the objective;
- Lucent's / Lucid's (Olah et al., 2017): random jitter, scale and rotation of the image at every
  step, decorrelated colour and a Fourier parameterisation with a 1/f spectrum.

The image is a function of a parameter tensor:

    param --(inverse FFT, scaled by 1/f; or identity)--> y --(colour matrix; or identity)--> z
    z --sigmoid--> RGB in [0, 1] --(random transforms)--> normalise --> model

Every map in the chain up to z is linear and invertible, so the toolbox's projections (decay, blur,
clipping) act on z, where 0 means mid-grey, and are written back into the parameter whatever the
parameterisation. Gradients are taken with `torch.autograd.grad` for the image parameter only: the
model's parameters get no `.grad`, and their `requires_grad` flags are never touched.

A unit whose ReLU is off everywhere on the start image passes no gradient at all (common in
MobileNet-style nets, where a depthwise convolution chains single channels). Such a unit starts
from the photo crop where it fires most (`dlviz.core.featurestart`, the default start "auto"), and
the ReLUs of its own layer get a redirected gradient for the first steps (see `_RedirectedClamp`).
A unit is called dead only when it stays silent on its feature image and on every start photo.

The model sees the image in channels-last memory order: the depthwise convolutions of
MobileNet-style nets run two to three times faster so on a CPU, most of all in batches.

No Qt here.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn

from dlviz.core import catalogue, featurestart
from dlviz.core.activations import EndPass, OwnedHook
from dlviz.core.imageparam import Parameterisation, from_uint8, noise_image, project, square, to_uint8, transform
from dlviz.core.progress import Progress, given


KINDS = tuple(catalogue.FEATUREVIS_OBJECTIVES)
STARTS = ("auto", "noise", "image")
REPORT_EVERY = 0.2  # seconds between progress reports
REDIRECT_STEPS = 32  # redirected ReLU gradients at least this many steps, and until every unit has risen
# Pattern mode's feature images: small (the grid's tiles are smaller still) and many units in one
# optimisation, which is what makes a whole layer affordable on a CPU (benchmarks/featurevis.py).
PATTERN = {"size": 64, "steps": 128}
PATTERN_BATCH = 32
RESTART_STEP = 32  # start "auto": a unit still below its best photo after this many steps starts again from it

# --------------------------------------------------------------------------- settings and result


@dataclass
class Settings:
    kind: str = "channel"  # "channel": mean of the unit's map; "neuron": its centre; "class": a logit
    steps: int = 256
    size: int = 128  # the optimised image is size×size pixels
    lr: float = 0.05  # Adam's learning rate on the parameterisation
    seed: int = 0
    # "auto": noise, but a unit silent on it starts from the photo crop where it fires most;
    # "noise": small random values, near grey; "image": start_image
    start: str = "auto"
    start_image: np.ndarray | None = field(default=None, repr=False)  # uint8 H×W×3
    # the Deep Visualization Toolbox's regularisers
    l2_decay: float = 0.0  # multiply the image (around grey) by 1 - l2_decay every step
    blur_every: int = 0  # blur every k steps; 0 = off
    blur_sigma: float = 0.5  # in pixels
    clip_norm_percentile: float = 0.0  # grey out pixels whose colour norm is below this percentile; 0 = off
    clip_contribution_percentile: float = 0.0  # grey out pixels of small |x·∇x| (summed over colour); 0 = off
    # Lucent's regularisers: random transforms every step, and the parameterisation
    jitter: int = 8  # random shift of up to ± this many pixels
    scale: float | Sequence[float] = (0.9, 0.92, 0.94, 0.96, 0.98, 1.0, 1.02, 1.04, 1.06, 1.08, 1.1)
    # a number s: a factor drawn uniformly from [1 - s, 1 + s]; a sequence: one of its factors
    rotate: float | Sequence[float] = 10.0  # a number d: uniform in ±d degrees; a sequence: one of them
    decorrelate: bool = True  # optimise decorrelated colour components instead of RGB
    fourier: bool = True  # optimise a Fourier spectrum scaled by 1/frequency instead of pixels

    def check(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not '{self.kind}'")
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {', '.join(STARTS)}, not '{self.start}'")
        if self.start == "image" and self.start_image is None:
            raise ValueError("start='image' needs a start_image")
        if self.steps < 0 or self.size < 8:
            raise ValueError("steps must be at least 0 and size at least 8 pixels")
        for name in ("clip_norm_percentile", "clip_contribution_percentile"):
            if not 0.0 <= getattr(self, name) < 100.0:
                raise ValueError(f"{name} must lie in [0, 100)")

    def key_data(self) -> dict:
        """Everything that changes the result, as JSON-able values (the start image as a hash)."""
        data = asdict(self)
        image = data.pop("start_image")
        data["start_image"] = None
        if self.start == "image" and image is not None:
            array = np.ascontiguousarray(image)
            data["start_image"] = f"{array.shape}:{hashlib.sha256(array.tobytes()).hexdigest()}"
        for name in ("scale", "rotate"):
            value = data[name]
            data[name] = [float(v) for v in value] if isinstance(value, (list, tuple, np.ndarray)) else float(value)
        return data


@dataclass
class Result:
    image: np.ndarray  # uint8 H×W×3
    activation: float  # the objective on the final image
    start_activation: float  # the objective on the image at step 0
    noise_activation: float  # the objective on plain uniform noise (same seed): the baseline
    dead: bool  # silent (at most 0) on its feature image and on every start photo
    steps_done: int
    cancelled: bool
    seconds: float
    unit: int = 0
    start: str = "noise"  # what the optimisation started from: "noise", "the image" or a photo's name
    restart_step: int = 0  # the step it started again from that photo (0: it did not)
    photo_best: float | None = None  # the unit's best value on the start photos
    photos: int = 0  # how many photos that was
    elsewhere: str = ""  # other images the dead check looked at (a Top images scan), in words
    constant: bool = False  # the same value on every photo and on its feature image: no image moves it

    def restart_text(self) -> str:
        """How it started again from a photo, or ""."""
        if not self.restart_step:
            return ""
        return f"started again at step {self.restart_step} from {self.start}, where it fires most"

    def constant_text(self) -> str:
        """What a constant unit is, or ""."""
        if not self.constant:
            return ""
        return f"its value is {self.activation:.3g} on every image tried: no image moves it (only a bias is left)"

    def why_dead(self) -> str:
        """Why the unit is called dead, as the end of a sentence."""
        where = f"the {self.photos} sample photos" + (f" and {self.elsewhere}" if self.elsewhere else "")
        return f"it stayed at zero on its feature image, on {where}"

    def summary(self) -> dict:
        """The JSON side data (everything but the image)."""
        data = asdict(self)
        del data["image"]
        return data


def judge(results: Sequence[Result], scan_best, where: str) -> None:
    """Look at a Top images scan too: a unit that fires on one of its images is not dead.
    scan_best: each unit's best value on the scan (indexable by unit); where: the scan in words."""
    for result in results:
        result.elsewhere = where
        if result.dead and float(scan_best[result.unit]) > 0:  # at zero on all the rest, yet it fires here
            result.dead = result.constant = False


# --------------------------------------------------------------------------- the objective


class LayerOutput(OwnedHook):
    """A context manager catching one layer's output, with its graph, in this thread's forward passes.

    The hook is registered on entry and removed on exit whatever happens. It ignores other threads
    (the window may run the same model meanwhile) and, with `stop=True`, ends the forward pass as
    soon as the layer has run.
    """

    def __init__(self, model: nn.Module, layer: str | None, calls: int = 1, stop: bool = True):
        self.model, self.layer, self.stop = model, layer, stop
        self.module = model.get_submodule(layer) if layer else None
        self.calls = max(1, int(calls))  # a module run several times per pass (a shared ReLU): its last output,
        self.output: torch.Tensor | None = None  # as dlviz.core.activations records it
        self._seen = 0
        self._handle = None
        self._thread = threading.get_ident()

    def _hook(self, module, args, output):
        if threading.get_ident() != self._thread:
            return
        if isinstance(output, (tuple, list)):
            output = output[0]
        if isinstance(output, torch.Tensor):
            self.output = output
            self._seen += 1
            if self.stop and self._seen >= self.calls:
                raise EndPass

    def __enter__(self):
        if self.module is not None:
            self._handle = self.module.register_forward_hook(self._hook)
        return self


    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's output (or the model's, without a layer) for the batch x."""
        self.output, self._seen = None, 0
        try:
            out = self.model(x)
        except EndPass:
            return self.output
        if self.module is None:
            return out[0] if isinstance(out, (tuple, list)) else out
        if self.output is None:
            raise RuntimeError(f"the layer '{self.layer}' did not run in the forward pass")
        return self.output


class _RedirectedClamp(torch.autograd.Function):
    """clamp(x, lo, hi) whose gradient is redirected when a ReLU would block it for a whole image.

    A unit that is off everywhere (all inputs below the ReLU's threshold) passes no gradient, so the
    optimisation could never start. Where an image's true gradient through this ReLU is zero, the
    incoming gradient is let through instead, except where it would push an input that is already
    below the threshold further down (the idea of Lucid's "redirected ReLU gradient"). The forward
    value is unchanged.
    """

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return x.clamp(lo, hi) if hi is not None else x.clamp_min(lo)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.lo, ctx.hi
        inside = x > lo if hi is None else (x > lo) & (x < hi)
        true = grad * inside
        off = true.flatten(1).abs().amax(dim=1) == 0  # images whose gradient this ReLU blocks entirely
        if not bool(off.any()):
            return true, None, None
        # The loss is minimised: a positive gradient would push the input lower.
        blocked = (x <= lo) & (grad > 0)
        if hi is not None:
            blocked = blocked | (x >= hi)
        redirected = grad.masked_fill(blocked, 0.0)
        off = off.view((-1,) + (1,) * (x.dim() - 1))
        return torch.where(off, redirected, true), None, None


class RedirectedReLUs:
    """A context manager giving ReLU and ReLU6 modules the redirected gradient above.

    `root` is the objective's layer: it and the ReLUs inside it get the redirection (None: none).
    Its hooks must be registered before the layer's catcher, so that the catcher sees the
    redirected output. Redirecting every ReLU of the bundled model nearly doubled a step and
    brought no unit further; a depthwise unit is often blocked one layer down as well, at the one
    channel that feeds it, and starts again from a photo instead (`featurestart`). Only forward
    passes in this thread with gradients enabled are affected; the hooks are removed on exit.
    """

    def __init__(self, root: nn.Module | None):
        self.modules = [m for m in root.modules() if type(m) in (nn.ReLU, nn.ReLU6)] if root is not None else []
        self.enabled = True
        self._handles = []
        self._inputs: dict[int, list] = {}
        self._thread = threading.get_ident()

    def _active(self) -> bool:
        return self.enabled and threading.get_ident() == self._thread and torch.is_grad_enabled()

    def _pre(self, module, args):
        if not self._active() or not args or not isinstance(args[0], torch.Tensor) or not args[0].requires_grad:
            return None
        x = args[0]
        self._inputs.setdefault(id(module), []).append(x)
        if getattr(module, "inplace", False):
            return (x.clone(),) + tuple(args[1:])  # the module's own in-place clamp must not touch x
        return None

    def _post(self, module, args, output):
        stack = self._inputs.get(id(module))
        if not stack or not self._active():
            return None
        x = stack.pop()
        hi = 6.0 if isinstance(module, nn.ReLU6) else None
        return _RedirectedClamp.apply(x, 0.0, hi)

    def __enter__(self):
        try:
            for module in self.modules:
                self._handles.append(module.register_forward_pre_hook(self._pre))
                self._handles.append(module.register_forward_hook(self._post))
        except BaseException:
            self.__exit__()
            raise
        return self

    def forget(self) -> None:
        """Drop the inputs kept for a pass that ended early (the catcher stops it at the layer)."""
        self._inputs.clear()

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._inputs.clear()
        return False


def _objective(output: torch.Tensor, units: Sequence[int], kind: str) -> torch.Tensor:
    """One value per batch element b: unit units[b] of the output, as the kind says."""
    index = torch.as_tensor(list(units), dtype=torch.long, device=output.device)
    rows = torch.arange(len(index), device=output.device)
    if output.dim() == 2:
        return output[rows, index]
    picked = output[rows, index]  # B × spatial...
    if kind == "neuron":
        centre = tuple(s // 2 for s in picked.shape[1:])
        return picked[(slice(None),) + centre]
    return picked.flatten(1).mean(dim=1)


# --------------------------------------------------------------------------- optimisation


def _unit_count(output: torch.Tensor) -> int:
    return int(output.shape[1]) if output.dim() >= 2 else 1


class _Model:
    """The model in eval mode, its input normalisation and the objective's layer, for one run."""

    def __init__(self, loaded, layer: str | None, kind: str):
        if layer in ("", "output"):
            layer = None
        if layer is None and kind != "class":
            kind = "class"  # the output's units are its logits
        self.model, self.layer, self.kind = loaded.model, layer, kind
        self.calls = 1
        if layer is not None:
            try:
                self.calls = loaded.layer(layer).calls
            except (KeyError, AttributeError):  # a layer discovery did not list: its first output
                pass
        mean, std = loaded.preprocess.mean, loaded.preprocess.std
        self.device = loaded.device
        self.mean = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)

    def _output(self, catcher: LayerOutput, rgb: torch.Tensor, units: Sequence[int]) -> torch.Tensor:
        output = catcher(((rgb - self.mean) / self.std).contiguous(memory_format=torch.channels_last))
        if max(units) >= _unit_count(output) or min(units) < 0:
            where = f"layer '{self.layer}'" if self.layer else "the output"
            raise IndexError(f"{where} has {_unit_count(output)} units; there is no unit {max(units)}")
        return output

    def values(self, catcher: LayerOutput, rgb: torch.Tensor, units: Sequence[int]) -> torch.Tensor:
        """The objective of unit units[b] on image b."""
        return _objective(self._output(catcher, rgb, units), units, self.kind)

    def table(self, catcher: LayerOutput, images: np.ndarray, units: Sequence[int], chunk: int = 16) -> np.ndarray:
        """K×B: the objective of every unit on every image (uint8 K×H×W×3), without gradients."""
        rows = []
        with torch.no_grad():
            for first in range(0, len(images), chunk):
                output = self._output(catcher, from_uint8(images[first : first + chunk], self.device), units)
                picked = output[:, list(units)]
                rows.append(torch.stack([_objective(picked[:, b : b + 1], [0] * len(picked), self.kind)
                                         for b in range(len(units))], dim=1))
        return torch.cat(rows).cpu().numpy() if rows else np.zeros((0, len(units)), np.float32)


class Optimisation:
    """One batch of units optimised together, every element for its own unit.

    It can pause part way and go on later (the worker lets other jobs run in between); the model's
    hooks are on only while it runs. `run` returns True once finished; `results` then gives one
    Result per unit.
    """

    def __init__(self, loaded, layer: str | None, units: Sequence[int], settings: Settings):
        settings.check()
        self.loaded, self.layer, self.units, self.settings = loaded, layer, list(units), settings
        self.target = _Model(loaded, layer, settings.kind)
        batch, size = len(self.units), settings.size
        self.generator = torch.Generator().manual_seed(int(settings.seed))
        self.param = Parameterisation(batch, size, settings.fourier, settings.decorrelate, loaded.device)
        if settings.start == "image":
            self.param.set_latent(_logit(np.repeat(square(settings.start_image, size)[None], batch, axis=0), loaded.device))
        else:
            self.param.init_noise(self.generator)
        self.photos = featurestart.bundled(size)
        self.starts = ["the image" if settings.start == "image" else "noise"] * batch
        self.optimiser = torch.optim.Adam([self.param.param], lr=settings.lr)
        self.restart_at = min(RESTART_STEP, max(1, settings.steps // 4)) if settings.start == "auto" else -1
        self.step, self.seconds, self.cancelled, self.risen = 0, 0.0, False, False
        self.table = self.noise_values = self.start_values = None  # measured when it first runs
        self.images = self.final = None  # once finished

    @property
    def finished(self) -> bool:
        return self.final is not None

    def run(self, should_stop=lambda: False, tick=lambda fraction, images: None, pause=lambda: False,
            evaluate_stopped: bool = True) -> bool:
        """Go on until finished (True), or until pause() says so (False: call again to go on).
        should_stop() ends it early, marked cancelled: finished with the images so far, or at once
        without them when `evaluate_stopped` is false (nobody wants them). tick(fraction, images)
        reports at least every 0.2 s and at the end."""
        started = time.perf_counter()
        model, target, settings = self.loaded.model, self.target, self.settings
        training = [m for m in model.modules() if m.training]  # put back as they were, module by module
        try:
            if training:
                model.eval()
            # The redirection's hooks first: the layer's own output, if it is a ReLU, is the
            # redirected one the catcher sees (the catcher ends the pass at once).
            root = model.get_submodule(target.layer) if target.layer else None
            with (torch.inference_mode(False), RedirectedReLUs(root) as redirect,
                  LayerOutput(model, target.layer, target.calls) as catcher):
                if self.table is None:
                    self._measure_start(catcher)
                last = time.perf_counter()
                with torch.enable_grad():
                    while self.step < settings.steps:
                        if should_stop():
                            self.cancelled = True
                            if not evaluate_stopped:
                                return True
                            break
                        if pause():
                            return False
                        self._step(catcher, redirect)
                        now = time.perf_counter()
                        if now - last >= REPORT_EVERY:
                            last = now
                            with torch.no_grad():
                                tick(self.step / max(1, settings.steps), to_uint8(self.param.rgb()))
                with torch.no_grad():
                    self.images = to_uint8(self.param.rgb())
                    self.final = target.values(catcher, from_uint8(self.images, target.device), self.units).cpu()
        finally:
            for module in training:
                module.training = True
            self.seconds += time.perf_counter() - started
        tick(1.0, self.images)
        return True

    def _measure_start(self, catcher) -> None:
        batch, size = len(self.units), self.settings.size
        self.table = self.target.table(catcher, self.photos.crops, self.units)  # K×B: each unit on each photo
        device = self.target.device
        noise = from_uint8(np.repeat(noise_image(size, self.settings.seed)[None], batch, axis=0), device)
        with torch.no_grad():
            first = from_uint8(to_uint8(self.param.rgb()), device)
            before = self.target.values(catcher, torch.cat([noise, first]), self.units * 2)
        self.noise_values, self.start_values = before[:batch], before[batch:]

    def _step(self, catcher, redirect) -> None:
        settings, param, start_values = self.settings, self.param, self.start_values
        # Redirected ReLU gradients get a stuck unit going; once every unit has risen they only
        # cost time, so they stop after a while (with start "auto", a photo takes over then).
        redirect.enabled = self.step < REDIRECT_STEPS or (not self.risen and self.restart_at < 0)
        rgb = param.rgb()
        values = self.target.values(catcher, transform(rgb, settings, self.generator), self.units)
        redirect.forget()
        want_rgb_grad = settings.clip_contribution_percentile > 0
        grads = torch.autograd.grad(-values.sum(), [param.param, rgb] if want_rgb_grad else [param.param])
        self.risen = bool(torch.all(values.detach() > start_values + 1e-3 * start_values.abs() + 1e-6))
        self.optimiser.zero_grad(set_to_none=True)
        param.param.grad = grads[0]
        self.optimiser.step()
        param.param.grad = None
        project(param, settings, self.step, grads[1] if want_rgb_grad else None, rgb.detach())
        self.step += 1
        if self.step == self.restart_at:
            _restart_behind(param, self.optimiser, values.detach().cpu().numpy(), self.table, self.photos, self.starts)

    def results(self) -> list[Result]:
        """One Result per unit, once finished."""
        if not self.finished:
            raise RuntimeError("the optimisation has not finished")
        out = []
        for b, unit in enumerate(self.units):
            activation = float(self.final[b])
            photo_best = float(self.table[:, b].max()) if len(self.photos) else None
            silent_on_photos = photo_best is None or photo_best <= 0
            # The same value on every image, up to float rounding (batches of other sizes round apart).
            close = 1e-4 * max(1.0, abs(activation))
            spread = float(self.table[:, b].max() - self.table[:, b].min()) if len(self.photos) else 1.0
            constant = spread <= close and abs(activation - photo_best) <= close
            out.append(
                Result(
                    image=self.images[b],
                    activation=activation,
                    start_activation=float(self.start_values[b]),
                    noise_activation=float(self.noise_values[b]),
                    dead=not self.cancelled and self.step > 0 and activation <= 0 and silent_on_photos,
                    steps_done=self.step,
                    cancelled=self.cancelled,
                    seconds=self.seconds,
                    unit=int(unit),
                    start=self.starts[b],
                    restart_step=self.restart_at if self.starts[b] not in ("noise", "the image") else 0,
                    photo_best=photo_best,
                    photos=self.photos.sources,
                    constant=constant,
                )
            )
        return out


def _restart_behind(param, optimiser, now: np.ndarray, table: np.ndarray, photos, starts: list) -> None:
    """Start each unit that is still below its best photo again from that photo's crop.

    On the bundled model a unit either passes its best photo within 32 steps from noise (by 1.7×
    or more) or is still exactly 0, its gradient blocked; the second kind starts again from the
    photo crop where it fires most, with fresh Adam moments.
    """
    if not table.size:
        return
    best, which = table.max(axis=0), table.argmax(axis=0)
    behind = [b for b in range(len(now)) if best[b] > 0 and now[b] < best[b]]
    if not behind:
        return
    with torch.no_grad():
        z = param.latent().clone()
        for b in behind:
            z[b] = _logit(photos.crops[which[b] : which[b] + 1], z.device)[0]
            starts[b] = photos.names[which[b]]
        param.set_latent(z)
    moments = optimiser.state.get(param.param, {})
    for key in ("exp_avg", "exp_avg_sq"):
        if key in moments:
            moments[key][behind] = 0


def _logit(images: np.ndarray, device="cpu") -> torch.Tensor:
    """The latent z (B×3×H×W) on `device` whose sigmoid is the uint8 images (B×H×W×3), kept off 0 and 1."""
    rgb = from_uint8(images, device).clamp(0.01, 0.99)
    return torch.log(rgb / (1 - rgb))


def visualise(loaded, layer: str | None, unit: int, settings: Settings | None = None,
              progress: Progress | None = None) -> Result:
    """Optimise an image for one unit of `layer` (None or "output": the logit `unit`).

    `loaded` is a dlviz LoadedModel: its model, and its preprocess mean/std to map the [0, 1]
    image to the model's input. A report with the image so far (uint8 H×W×3) comes at least every
    0.2 s and at the end; a stop returns the result so far with cancelled=True.
    """
    settings = settings or Settings()
    progress = given(progress)
    run = Optimisation(loaded, layer, [unit], settings)
    run.run(progress.should_stop, lambda f, images: progress.report(f, _optimising(f), images[0]))
    return run.results()[0]


def _optimising(fraction: float) -> str:
    return f"optimising: {fraction:.0%}"


def visualise_layer(
    loaded,
    layer: str | None,
    units: Sequence[int],
    settings: Settings | None = None,
    batch: int = 8,
    progress: Progress | None = None,
) -> list[Result]:
    """Optimise several units, `batch` at a time in one forward pass each.

    A report's partial is the tile of all units (those not started yet grey). A stop returns the
    finished batches and the cancelled one.
    """
    progress = given(progress)
    settings = settings or Settings()
    units = list(units)
    batch = max(1, int(batch))
    grey = np.full((settings.size, settings.size, 3), 128, np.uint8)
    shown = [grey] * len(units)
    results: list[Result] = []
    for first in range(0, len(units), batch):
        chunk = units[first : first + batch]

        def tick(fraction, images, first=first, chunk=chunk):
            for i, image in enumerate(images):
                shown[first + i] = image
            overall = (first + fraction * len(chunk)) / len(units)
            progress.report(overall, _optimising(overall), tile(shown))

        run = Optimisation(loaded, layer, chunk, settings)
        run.run(progress.should_stop, tick)
        done = run.results()
        results.extend(done)
        if done and done[0].cancelled or progress.should_stop():
            break
    return results


def tile(images: Sequence[np.ndarray], cols: int | None = None, gap: int = 2) -> np.ndarray:
    """Images of one size in a grid, row by row, `gap` grey pixels apart; cols defaults to a square-ish grid."""
    if not len(images):
        return np.zeros((0, 0, 3), np.uint8)
    h, w = images[0].shape[:2]
    cols = max(1, int(cols or math.ceil(math.sqrt(len(images)))))
    rows = math.ceil(len(images) / cols)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 3), 64, np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = image[:h, :w, :3]
    return out
