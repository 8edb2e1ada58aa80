"""Record what chosen layers output for one input, with hooks that are always removed."""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.modules.module import (
    _global_forward_hooks,
    _global_forward_pre_hooks,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)

from dlviz.core.errors import Cancelled
from dlviz.core.models import LoadedModel
from dlviz.core.progress import Progress


_MODULES: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def _modules_by_name(model: nn.Module) -> dict[str, nn.Module]:
    """model.named_modules() as a dict, kept per model (walking it costs half a millisecond)."""
    modules = _MODULES.get(model)
    if modules is None:
        modules = _MODULES[model] = dict(model.named_modules())
    return modules


class EndPass(Exception):
    """Raised by a hook to end a forward pass once what it was waiting for is in hand."""


class OwnedHook:
    """Base for context managers that own one hook: it is removed on exit, whatever happened."""

    _handle = None

    def __exit__(self, *exc):
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        return False


class StopWithin(OwnedHook):
    """A context manager under which a forward pass on this thread raises `Cancelled` as soon as
    `progress.should_stop()` holds, checked before each module runs: a stop is heard within one
    layer of a batched pass (Score-CAM's 32 masks took 1.7 s a batch on a laptop CPU) instead of
    at its end. Passes on other threads are not touched. The caller catches `Cancelled`."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def _check(self, module, args):
        if threading.get_ident() == self._thread and self.progress.should_stop():
            raise Cancelled()

    def __enter__(self):
        self._thread = threading.get_ident()
        self._handle = register_module_forward_pre_hook(self._check)
        return self


class ActivationRecorder(OwnedHook):
    """A context manager that records the outputs of the named layers during a forward pass.

    It registers one forward hook for the whole process on entry and removes it on exit, whatever
    happens in between. One global hook costs one registration per pass instead of one per layer
    (159 for the bundled model); it looks modules up by identity, so other models are ignored.
    Outputs are kept as detached tensors; the layers named in `copy` are cloned, because
    something later in the pass (an in-place ReLU, a `+=`) overwrites them.
    """

    def __init__(self, model: nn.Module, names, copy=()):
        self.model = model
        self.names = list(names)
        copy = set(copy)
        modules = _modules_by_name(model)
        missing = [name for name in self.names if name not in modules]
        if missing:
            raise KeyError(f"the model has no layer '{missing[0]}'")
        self._lookup = {id(modules[name]): (name, name in copy) for name in self.names}
        self.outputs: dict[str, torch.Tensor] = {}
        self._handle = None

    def _hook(self, module, args, output):
        if threading.get_ident() != self._thread:  # the global hook sees every thread's passes
            return
        entry = self._lookup.get(id(module))
        if entry is not None and isinstance(output, torch.Tensor):
            name, clone = entry
            if output.requires_grad:
                output = output.detach()
            self.outputs[name] = output.clone() if clone else output

    def __enter__(self):
        self._thread = threading.get_ident()
        if self._lookup:
            self._handle = register_module_forward_hook(self._hook)
        return self



class Activations(Mapping):
    """Layer name -> float32 numpy array without the batch axis, converted when first read.

    A pass records every layer but a view shows one at a time; converting on demand keeps the
    forward pass from paying for 150 conversions nobody looks at.
    """

    def __init__(self, tensors: dict[str, torch.Tensor]):
        self._tensors = tensors
        self._arrays: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None:
            array = self._arrays[name] = self._tensors[name][0].float().numpy()
        return array

    def __iter__(self):
        return iter(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)

    def __contains__(self, name) -> bool:
        return name in self._tensors


@dataclass
class Forward:
    """One image through one model: class probabilities and every recorded layer."""

    probs: np.ndarray  # (num_classes,) softmax of the output
    activations: Activations  # layer name -> float32 array without the batch dimension
    forward_ms: float

    def top(self, k: int = 5) -> list[tuple[int, float]]:
        k = min(k, len(self.probs))
        index = np.argsort(self.probs)[::-1][:k]
        return [(int(i), float(self.probs[i])) for i in index]


def run(loaded: LoadedModel, batch: torch.Tensor, layers=None) -> Forward:
    """Forward `batch` (1×3×H×W) through the model, recording `layers` (default: all of them)."""
    import time

    names = loaded.layer_names if layers is None else list(layers)
    wanted = set(names)
    copy = [info.name for info in loaded.layers if info.mutated and info.name in wanted]
    start = time.perf_counter()
    with torch.inference_mode(), ActivationRecorder(loaded.model, names if loaded.hookable else (), copy) as rec:
        output = loaded.model(batch)
    forward_ms = (time.perf_counter() - start) * 1000
    if isinstance(output, (tuple, list)):
        output = output[0]
    logits = output.detach().float()
    probs = torch.softmax(logits.reshape(logits.shape[0], -1), dim=1)[0].numpy()
    outputs = rec.outputs
    if not loaded.hookable:
        outputs["output"] = logits
    return Forward(probs, Activations(outputs), forward_ms)


@contextmanager
def threads(count: int | None):
    """Run torch on `count` threads of this thread's (None: as it is), and put the count back
    after: jobs that share a core with the GUI thread's drawing use fewer."""
    if count is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def active_hooks(model: nn.Module) -> int:
    """How many forward hooks the model's modules and the process still hold (a leak check)."""
    return len(_global_forward_hooks) + len(_global_forward_pre_hooks) + sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
