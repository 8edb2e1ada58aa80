"""Record what chosen layers output for one input, with hooks that are always removed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dlviz.core.models import LoadedModel


class ActivationRecorder:
    """A context manager that hooks the named layers and keeps their outputs.

    Hooks are registered on entry and removed on exit, whatever happens in between. Outputs are
    kept as detached tensors; the layers named in `copy` are cloned, because something later in
    the forward pass (an in-place ReLU) overwrites them.
    """

    def __init__(self, model: nn.Module, names, copy=()):
        self.model = model
        self.names = list(names)
        self.copy = set(copy)
        self.outputs: dict[str, torch.Tensor] = {}
        self._handles = []

    def _hook(self, name):
        clone = name in self.copy

        def hook(module, args, output):
            if isinstance(output, torch.Tensor):
                self.outputs[name] = output.detach().clone() if clone else output.detach()

        return hook

    def __enter__(self):
        try:
            for name in self.names:
                self._handles.append(self.model.get_submodule(name).register_forward_hook(self._hook(name)))
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc):
        self._remove()
        return False

    def _remove(self):
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


@dataclass
class Forward:
    """One image through one model: class probabilities and every recorded layer."""

    probs: np.ndarray  # (num_classes,) softmax of the output
    activations: dict[str, np.ndarray]  # layer name -> float32 array without the batch dimension
    forward_ms: float

    def top(self, k: int = 5) -> list[tuple[int, float]]:
        k = min(k, len(self.probs))
        index = np.argsort(self.probs)[::-1][:k]
        return [(int(i), float(self.probs[i])) for i in index]


def run(loaded: LoadedModel, batch: torch.Tensor, layers=None) -> Forward:
    """Forward `batch` (1×3×H×W) through the model, recording `layers` (default: all of them)."""
    import time

    names = loaded.layer_names if layers is None else list(layers)
    copy = [info.name for info in loaded.layers if info.mutated and info.name in set(names)]
    start = time.perf_counter()
    with torch.inference_mode(), ActivationRecorder(loaded.model, names if loaded.hookable else (), copy) as rec:
        output = loaded.model(batch)
    forward_ms = (time.perf_counter() - start) * 1000
    if isinstance(output, (tuple, list)):
        output = output[0]
    logits = output.detach().float()
    probs = torch.softmax(logits.reshape(logits.shape[0], -1), dim=1)[0].numpy()
    acts = {name: t[0].float().numpy() for name, t in rec.outputs.items()}
    if not loaded.hookable:
        acts["output"] = logits[0].numpy()
    return Forward(probs, acts, forward_ms)


def active_hooks(model: nn.Module) -> int:
    """How many forward hooks the model's modules still hold (a leak check)."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
