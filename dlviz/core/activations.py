"""Record what chosen layers output for one input, with hooks that are always removed."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import warnings
import weakref
from contextlib import contextmanager
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn.modules.module import (
    _global_forward_hooks,
    _global_forward_pre_hooks,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)

from dlviz import runtime
from dlviz.core import devices
from dlviz.core.errors import Cancelled
from dlviz.core.models import LoadedModel
from dlviz.core.progress import Progress
from dlviz.core.second_ask import made_at_second_ask


log = logging.getLogger("dlviz")

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

    Its hooks are registered on entry and removed on exit, whatever happens in between: one
    forward hook for the whole process (one registration per pass instead of 159 for the bundled
    model; it looks modules up by identity, so other models are ignored), or, with
    `per_module=True`, one on each named module, which leaves every other module on torch's fast
    path (the global hook cost the bundled model's pass 6% on its own). Outputs are kept as
    detached tensors; the layers named in `copy` are cloned, because something later in the pass
    (an in-place ReLU, a `+=`) overwrites them.
    """

    def __init__(self, model: nn.Module, names, copy=(), per_module: bool = False):
        self.model = model
        self.names = list(names)
        copy = set(copy)
        modules = _modules_by_name(model)
        missing = [name for name in self.names if name not in modules]
        if missing:
            raise KeyError(f"the model has no layer '{missing[0]}'")
        self._modules = [modules[name] for name in self.names] if per_module else None
        self._lookup = {id(modules[name]): (name, name in copy) for name in self.names}
        self.outputs: dict[str, torch.Tensor] = {}
        self._handle = None
        self._handles = []

    def _hook(self, module, args, output):
        if threading.get_ident() != self._thread:  # a hook sees every thread's passes
            return
        entry = self._lookup.get(id(module))
        if entry is not None and isinstance(output, torch.Tensor):
            name, clone = entry
            if output.requires_grad:
                output = output.detach()
            self.outputs[name] = output.clone() if clone else output

    def __enter__(self):
        self._thread = threading.get_ident()
        if self._modules is not None:
            try:
                for module in dict.fromkeys(self._modules):  # a module named twice is hooked once
                    self._handles.append(module.register_forward_hook(self._hook))
            except BaseException:
                self.__exit__()
                raise
        elif self._lookup:
            self._handle = register_module_forward_hook(self._hook)
        return self

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        return super().__exit__(*exc)


# A layer read is computed again from the nearest kept layer when that costs at most this much
# along the way (see _cost): at most 2.5 ms on a 2-core laptop for the bundled model.
RECOMPUTE_BUDGET = 50_000_000
VALUE_COST = 8  # a value written and read again costs about as much as this many multiply-adds


def _cost(module: nn.Module, shape) -> int:
    """About how much running `module` again costs, for an output of `shape` (without the batch):
    its multiply-adds, and its output's values (memory traffic, what elementwise modules cost)."""
    values = math.prod(shape)
    if isinstance(module, nn.modules.conv._ConvNd):
        return values * ((module.in_channels // module.groups) * math.prod(module.kernel_size) + VALUE_COST)
    if isinstance(module, nn.Linear):
        return values * (module.in_features + VALUE_COST)
    return values * VALUE_COST


@dataclass(frozen=True)
class Plan:
    """How a pass records every layer of a model: the layers kept (hooked, cloned where changed in
    place later), and for every other layer how to have it when it is read, as a recipe
    (module, source): the module run again on the source layer's output, or (None, layer): the
    very tensor of another layer (a container returning its last part's output).

    Why: keeping every layer alive to the end of the pass made each one land in fresh memory
    instead of the cache the pass had just warmed; the bundled model's pass took 23% longer for
    it. Most layers are one module (a convolution, a batch norm, an activation) run on another
    layer's output (LayerInfo.source); those are computed again when read instead
    (docs/decisions/0014).
    """

    kept: tuple[str, ...]
    copy: tuple[str, ...]
    recipes: dict
    # The chains of recipes live frames read, traced (see Activations._run_chain): filled as read.
    chains: dict = field(default_factory=dict, compare=False)


def _build_plan(loaded, budget: int, shown: str | None = None) -> Plan:
    """Keep as few values as the budget allows: a layer whose chain from the nearest kept layer
    would cost more than `budget` to run again has the narrowest layer on that chain kept instead
    (a block's output rather than its expanded middle). The layer `shown` is kept, whatever it
    costs: the grid draws it as soon as the pass is done."""
    modules = _modules_by_name(loaded.model)
    info = {layer.name: layer for layer in loaded.layers}
    groups: dict[str, list] = {}  # the first of the layers outputting the same values -> all of them
    for layer in sorted(loaded.layers, key=lambda layer: layer.finish):
        groups.setdefault(layer.same_as or layer.name, []).append(layer)
    via: dict[str, str] = {}  # group -> the member that is kept, or that is computed again
    parent: dict[str, str | None] = {}  # group -> the group it is computed from (None: kept)
    own: dict[str, int] = {}  # group -> what computing it from its parent costs

    def chain_cost(group):
        total = 0
        while parent[group] is not None:
            total, group = total + own[group], parent[group]
        return total

    forced = info[shown].same_as or shown if shown in info else None
    for first in sorted(groups, key=lambda name: info[name].finish):
        via[first], parent[first] = first, None
        for member in groups[first] if first != forced else ():
            source = member.source and (info[member.source].same_as or member.source)
            # (a source in its own group is the same tensor: an eval-mode Dropout after an in-place ReLU)
            if source in parent and source != first:
                via[first], parent[first] = member.name, source
                own[first] = _cost(modules[member.name], member.shape)
                break
        if parent[first] is not None and own[first] > budget:
            parent[first] = None  # too dear on its own: kept, and nothing before it needs to be
        while parent[first] is not None and chain_cost(first) > budget:
            on_the_way = [first]
            group = parent[first]
            while parent[group] is not None:
                on_the_way.append(group)
                group = parent[group]
            parent[min(on_the_way, key=lambda group: math.prod(info[group].shape))] = None
    kept = tuple(via[group] for group in groups if parent[group] is None)
    recipes = {}
    for group, members in groups.items():
        if parent[group] is not None:
            recipes[via[group]] = (modules[via[group]], info[via[group]].source)
        for member in members:
            if member.name != via[group]:
                recipes[member.name] = (None, via[group])
    return Plan(kept, tuple(name for name in kept if info[name].mutated), recipes)


def _plan_holds(loaded, plan: Plan) -> bool:
    """Whether the planned pass gives every layer the values recording them all does, on noise (a
    model whose path through its modules depends on the input would not)."""
    noise = torch.rand((1, 3, loaded.preprocess.crop, loaded.preprocess.crop), generator=torch.Generator().manual_seed(1))
    noise = loaded.put((noise - 0.5) * 4)
    copy = [info.name for info in loaded.layers if info.mutated]
    try:
        with torch.inference_mode(), ActivationRecorder(loaded.model, loaded.layer_names, copy) as every:
            loaded.model(noise)
        planned = _run_planned(loaded, noise, plan)[1]
        return all(torch.allclose(planned.tensor(name), tensor, rtol=1e-4, atol=1e-5)
                   for name, tensor in every.outputs.items())
    except Exception as exc:  # a recipe that cannot run, a shape that differs: keep every layer
        log.info("recording plan of %s fails (%s: %s)", loaded.name, type(exc).__name__, exc)
        return False


def plan(loaded, shown: str | None = None) -> Plan:
    """The model's recording plan with the layer `shown` kept: made once per layer shown, after the
    plan itself has been checked on the model once (all kept with the model)."""
    made = loaded.plan
    if made is None or made[0] is not loaded.layers:
        chosen = _build_plan(loaded, RECOMPUTE_BUDGET)
        holds = not any(module is not None for module, _ in chosen.recipes.values()) or _plan_holds(loaded, chosen)
        if not holds:
            log.info("%s: layers computed again differ from the pass's own; every layer is kept", loaded.name)
        made = loaded.plan = (loaded.layers, holds, {})
    _, holds, plans = made
    if shown not in plans:
        # On Apple's MPS every layer is kept and brought to the CPU in the worker (see run).
        budget = RECOMPUTE_BUDGET if holds and loaded.device.type != "mps" else 0
        plans[shown] = _build_plan(loaded, budget, shown)
    return plans[shown]


def _run_planned(loaded, batch, chosen: Plan):
    with torch.inference_mode(), ActivationRecorder(loaded.model, chosen.kept, chosen.copy, per_module=True) as rec:
        output = loaded.model(batch)
    return output, Activations(rec.outputs, chosen.recipes, loaded.layer_names)


def _trace_chain(chain: list, base: torch.Tensor):
    """`chain` (modules run in turn) as a TorchScript trace on `base`'s shape, checked against the
    eager run on `base` and on noise (a trace keeps whatever Python computed from the values);
    None (the chain stays eager) if it cannot be made or differs."""
    sequence = nn.Sequential(*chain)
    noise = torch.randn(base.shape, generator=torch.Generator().manual_seed(0)).to(base.device, base.dtype)
    try:
        with torch.inference_mode(), warnings.catch_warnings(), torch.jit.optimized_execution(False):
            warnings.simplefilter("ignore")  # the tracer's notes, and its deprecation
            graph = torch.jit.trace(sequence, base, check_trace=False)
            same = all(torch.allclose(graph(x), sequence(x), rtol=1e-4, atol=1e-5) for x in (base, noise))
    except Exception as exc:  # a module the tracer cannot follow stays eager
        log.info("a recipe chain ending in %s not traced (%s: %s)", type(chain[-1]).__name__, type(exc).__name__, exc)
        return None
    return graph if same else None


class Activations(Mapping):
    """Layer name -> float32 numpy array without the batch axis, converted when first read.

    A pass records every layer but a view shows one at a time; converting on demand keeps the
    forward pass from paying for 150 conversions nobody looks at. A layer the pass did not keep
    (see Plan's `recipes`) is computed again from its source when first read: its
    module run on the source's output, under inference mode, on the model's device; one block of
    the network at most (docs/decisions/0014 has the times).
    """

    def __init__(self, tensors: dict[str, torch.Tensor], recipes: dict | None = None, names=None,
                 chains: dict | None = None):
        self._tensors = dict(tensors)
        self._chains = chains  # a plan's traced chains, for a live pass (None: recipes run eagerly)
        self.kept = tuple(self._tensors)  # what the pass kept (the rest is computed when read)
        self._recipes = recipes or {}
        self._asked = list(tensors) if names is None else names
        self._names: list[str] | None = None  # the layers there are, worked out when first asked
        self._arrays: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # the window and a job may read the same pass

    def _has(self, name: str) -> bool:
        """Recorded, or to be computed from a layer that was. (That its module ran in this pass is
        the plan's to make sure of: see _plan_holds.)"""
        while name not in self._tensors:
            if name not in self._recipes:
                return False
            name = self._recipes[name][1]
        return True

    def tensor(self, name: str) -> torch.Tensor:
        """The layer's output with the batch axis, on the model's device."""
        with self._lock, devices.reading(self._device):
            tensor = self._tensor(name)
            devices.finish_reading(tensor.device)  # made on this thread's stream: done before it leaves
            return tensor

    @property
    def _device(self) -> torch.device:
        for tensor in self._tensors.values():
            return tensor.device
        return torch.device("cpu")

    def _tensor(self, name: str) -> torch.Tensor:
        tensor = self._tensors.get(name)
        if tensor is None:
            chain, source = [], name  # the modules from the nearest layer in hand, last first
            while source not in self._tensors:
                module, source = self._recipes[source]
                if module is not None:
                    chain.append(module)
            tensor = self._tensors[name] = self._run_chain(chain[::-1], source, name)
        return tensor

    def _run_chain(self, chain: list, source: str, name: str) -> torch.Tensor:
        """The modules of `chain` run in turn on layer `source`'s output, giving layer `name`'s.

        For a live pass (`_chains` set), the chain is traced the second time a frame reads it
        (the first goes eager), and the trace used from then on. Why: run eagerly, the modules go
        back to Python between their operations, and each time wait for the interpreter lock while
        the GUI thread draws. The bundled model's default layer is eight modules from the nearest
        kept one: 1.6 ms alone, 10.9 ms beside a thread running Python, 2.0 ms traced
        (docs/decisions/0010)."""
        base = self._tensors[source]
        if not chain:
            return base
        entry = None
        if self._chains is not None and traced_allowed():
            key = (name, source, tuple(base.shape), base.dtype, base.device)
            entry = made_at_second_ask(self._chains, key, lambda: _trace_chain(chain, base))
        with torch.inference_mode():
            if isinstance(entry, torch.jit.ScriptModule):
                with torch.jit.optimized_execution(False):
                    return entry(base)
            for module in chain:
                base = module(base)
            return base

    def on_cpu(self) -> "Activations":
        """Every layer computed and on the CPU: for a device that only one thread may use."""
        names = list(self)
        return Activations({name: self.tensor(name).cpu() for name in names}, names=names)

    def __getitem__(self, name: str) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None:  # from the model's device to the CPU only now, when a view reads it
            with self._lock, devices.reading(self._device):
                array = self._arrays[name] = self._tensor(name)[0].float().cpu().contiguous().numpy()  # (channels-last: see devices.lay_out)
        return array

    def _present(self) -> list[str]:
        if self._names is None:
            self._names = [name for name in self._asked if self._has(name)]
        return self._names

    def __iter__(self):
        return iter(self._present())

    def __len__(self) -> int:
        return len(self._present())

    def __contains__(self, name) -> bool:
        return name in self._tensors or name in self._recipes and self._has(name)


@dataclass
class Forward:
    """One image through one model: class probabilities and every recorded layer."""

    probs: np.ndarray  # (num_classes,) softmax of the output
    activations: Activations  # layer name -> float32 array without the batch dimension
    forward_ms: float

    def top(self, k: int = 5) -> list[tuple[int, float]]:
        probs, k = self.probs, max(0, min(k, len(self.probs)))
        if k == 0:
            return []
        # (Live, the predictions ask at every frame: a full sort of a thousand classes took 0.25 ms.)
        least = probs[np.argpartition(probs, len(probs) - k)[len(probs) - k]]  # the k-th greatest
        above = np.flatnonzero(probs > least)
        index = np.concatenate([above, np.flatnonzero(probs == least)[:k - len(above)]])
        index = index[np.argsort(-probs[index], kind="stable")]  # equal ones by class index
        return [(int(i), float(self.probs[i])) for i in index]


def run(loaded: LoadedModel, batch: torch.Tensor, layers=None, shown: str | None = None) -> Forward:
    """Forward `batch` (1×3×H×W) through the model, recording `layers` (default: all of them, the
    layer `shown` kept outright and the others as the plan says)."""
    batch = loaded.put(batch)
    if layers is None and loaded.hookable:
        chosen = plan(loaded, shown)
        start = time.perf_counter()
        output, activations = _run_planned(loaded, batch, chosen)
    else:
        names = list(layers or ()) if loaded.hookable else []
        wanted = set(names)
        copy = [info.name for info in loaded.layers if info.mutated and info.name in wanted]
        start = time.perf_counter()
        with torch.inference_mode(), ActivationRecorder(loaded.model, names, copy, per_module=True) as rec:
            output = loaded.model(batch)
        activations = Activations(rec.outputs)
    forward_ms = (time.perf_counter() - start) * 1000
    if isinstance(output, (tuple, list)):
        output = output[0]
    logits = output.detach().float()
    if not loaded.hookable:
        activations = Activations({"output": logits})
    return Forward(_probabilities(logits), _for_any_thread(loaded, activations), forward_ms)


def _for_any_thread(loaded, activations: Activations) -> Activations:
    """On Apple's MPS, which torch cannot use from two threads at once, the GUI thread must not
    touch the device: every layer comes to the CPU here, in the worker (a copy on its shared
    memory). Elsewhere as it is."""
    return activations.on_cpu() if loaded.device.type == "mps" else activations


def _probabilities(output: torch.Tensor) -> np.ndarray:
    """The first item's class probabilities: a softmax of the model's output."""
    logits = output.detach().float()
    return torch.softmax(logits.reshape(logits.shape[0], -1), dim=1)[0].cpu().numpy()


class _Recording(nn.Module):
    """The model's output followed by the kept layers' (the plan's), as one module that can be traced."""

    def __init__(self, model: nn.Module, names: list[str], copy: list[str]):
        super().__init__()
        self.model, self.names, self.copy = model, names, copy
        self.recorded: list[str] = []  # the layers that output a tensor, in the order returned

    def forward(self, batch):
        with ActivationRecorder(self.model, self.names, self.copy) as rec:
            output = self.model(batch)
        if isinstance(output, (tuple, list)):
            output = output[0]
        self.recorded = list(rec.outputs)
        return (output,) + tuple(rec.outputs[name] for name in self.recorded)


def traced_allowed() -> bool:
    """DLVIZ_TRACE=0 turns the traced live pass off (for a model whose pass changes with its input
    in ways a trace cannot follow)."""
    return os.environ.get("DLVIZ_TRACE", "1") != "0"


def _trace(loaded: LoadedModel, batch: torch.Tensor):
    """The recording pass as a TorchScript trace on `batch`'s shape, keeping what the plan keeps,
    checked against the eager pass on `batch`: (graph, the kept layers in the order it returns
    them, the plan), or None (and a line in the log) if it cannot be made or differs."""
    chosen = plan(loaded)
    recording = _Recording(loaded.model, list(chosen.kept), list(chosen.copy)).eval()
    # Checked on the input traced and on noise: a trace bakes in whatever Python computed from
    # the values (a branch, a NumPy detour), and a second input shows it up.
    noise = torch.randn(batch.shape, generator=torch.Generator().manual_seed(0)).to(batch.device, batch.dtype)
    try:
        with torch.no_grad(), warnings.catch_warnings(), torch.jit.optimized_execution(False), runtime.short_turns():
            warnings.simplefilter("ignore")  # the tracer's notes on shape arithmetic done in Python
            graph = torch.jit.trace(recording, batch, check_trace=False)
            names = recording.recorded
            same = all(_same(graph(x), names, run(loaded, x)) for x in (batch, noise))
    except Exception as exc:  # any model the tracer cannot follow keeps the eager pass
        log.info("live pass of %s not traced (%s: %s); it stays eager", loaded.name, type(exc).__name__, exc)
        return None
    if not same:
        log.info("live pass of %s: its trace differs from the eager pass; it stays eager", loaded.name)
        return None
    return graph, names, chosen


@contextmanager
def _for_a_while(get, put, value):
    """`put(value)` for the block, and what `get()` gave before put back after it."""
    before = get()
    put(value)
    try:
        yield
    finally:
        put(before)


def _same(outputs, names: list[str], eager: Forward) -> bool:
    """Whether a traced pass's outputs are the eager pass's, to float rounding."""
    if len(outputs) != len(names) + 1 or not all(name in eager.activations for name in names):
        return False
    return np.allclose(_probabilities(outputs[0]), eager.probs, atol=1e-5) and all(
        np.allclose(tensor[0].float().cpu().numpy(), eager.activations[name], rtol=1e-4, atol=1e-4)
        for name, tensor in zip(names, outputs[1:]))


def run_traced(loaded: LoadedModel, batch: torch.Tensor) -> Forward:
    """`run` with every layer recorded, through a TorchScript trace of the pass kept with the
    model. The trace is made at the second call for an input shape (the first stays eager, so a
    live video's first frame shows at once); it takes about a second for the bundled model.

    Why: an eager pass goes back to Python between its operations, about two hundred times for
    the bundled model, and waits for the interpreter lock each time. Live, the GUI thread holds
    that lock while it draws the frame before, and the pass took twice as long as alone
    (benchmarks/gil.py, docs/decisions/0010). A trace runs its operations without Python. A model
    that cannot be traced, or whose trace differs from the eager pass, stays eager."""
    if not loaded.hookable or not traced_allowed():
        return run(loaded, batch)
    batch = loaded.put(batch)
    key = (tuple(batch.shape), batch.dtype, tuple(loaded.layer_names))
    # The first frame goes eager, to be on screen at once; the second is traced.
    entry = made_at_second_ask(loaded.traced, key, lambda: _trace(loaded, batch))
    if entry is None:
        return run(loaded, batch)
    graph, names, chosen = entry
    start = time.perf_counter()
    # Unoptimised: the optimising executor spent 300 ms on its first two calls (holding up the
    # live frames behind them) for a pass no faster than this one.
    with torch.inference_mode(), torch.jit.optimized_execution(False):
        outputs = graph(batch)
    forward_ms = (time.perf_counter() - start) * 1000
    activations = Activations(dict(zip(names, outputs[1:])), chosen.recipes, loaded.layer_names, chosen.chains)
    return Forward(_probabilities(outputs[0]), _for_any_thread(loaded, activations), forward_ms)


def traced_ready(loaded: LoadedModel) -> bool:
    """Whether `run_traced` has its trace for this model: from then on a live pass touches no
    hook and no shared state, so two threads may run one each (the eager pass and the making of
    the trace may not)."""
    return any(isinstance(entry, tuple) for entry in list(loaded.traced.values()))


@contextmanager
def threads(count: int | None):
    """Run torch on `count` threads of this thread's (None: as it is), and put the count back
    after: jobs that share a core with the GUI thread's drawing use fewer. With OpenMP (torch's
    CPU builds) the count is the calling thread's own, so two live lanes can each set theirs;
    a thread started later begins with the last count set anywhere."""
    if count is None:
        yield
        return
    with _for_a_while(torch.get_num_threads, torch.set_num_threads, count):
        yield


def active_hooks(model: nn.Module) -> int:
    """How many forward hooks the model's modules and the process still hold (a leak check)."""
    return len(_global_forward_hooks) + len(_global_forward_pre_hooks) + sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
