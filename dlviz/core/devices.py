"""Which device a model runs on: the best one present (CUDA, then Apple's MPS, then the CPU), or the
one the user asked for, with one sentence when that one is not here.

Inputs go to the model's device (`put`); what is drawn comes back to the CPU (`to_numpy`), and
only that: a layer stays on the device until a view reads it. Random numbers are drawn on the CPU
and moved, so that a seed gives the same picture on every device.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import nullcontext

import numpy as np
import torch

from dlviz.core import catalogue

log = logging.getLogger("dlviz")

CHOICES = tuple(catalogue.DEVICES)
AUTO = CHOICES[0]
KINDS = CHOICES[1:]  # in the order they are preferred
TITLES = {kind: catalogue.DEVICES[kind] for kind in KINDS}

_works: dict[str, str | None] = {}  # kind -> None when it works, else why not


def listed() -> list[str]:
    """The kinds torch says are present, without touching them (cheap: for menus)."""
    kinds = []
    if torch.cuda.is_available():
        kinds.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        kinds.append("mps")
    return kinds + ["cpu"]


def _why_not(kind: str) -> str | None:
    """None when a small sum runs on `kind`, else the reason in a few words. Asked once per kind: the
    first CUDA call makes its context (a second or so), and a GPU too old for this torch build is
    listed as present but fails here."""
    if kind not in _works:
        if kind == "cpu":
            _works[kind] = None
        elif kind not in listed():
            _works[kind] = "not present"
        else:
            try:
                value = (torch.ones(2, device=kind) * 2).sum().item()
                _works[kind] = None if value == 4 else "gave a wrong sum"
            except Exception as exc:  # a driver or build that cannot run here
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                log.info("%s is listed but does not work: %s", kind, first)
                _works[kind] = first[:120]
    return _works[kind]


def present() -> list[str]:
    """The kinds that work here, best first; the CPU always."""
    return [kind for kind in listed() if _why_not(kind) is None]


def best(probe: bool = True) -> str:
    """The best kind that works; without `probe`, the best listed that has not failed yet (for a
    menu on the GUI thread: a first CUDA call makes its context, a second or more)."""
    if probe:
        return present()[0]
    return next(kind for kind in listed() if _works.get(kind) is None)


def choose(asked: str | None) -> tuple[torch.device, str | None]:
    """The device for `asked` ("auto", None or one of KINDS) and, when it is not the one asked for,
    the sentence that says so. With "auto", the environment's DLVIZ_DEVICE, when it names a kind,
    is asked for instead (the test suite runs on the CPU this way, on any machine)."""
    asked = (asked or AUTO).lower()
    if asked == AUTO:
        asked = os.environ.get("DLVIZ_DEVICE", AUTO).lower()
    if asked not in KINDS:
        return torch.device(best()), None
    why = _why_not(asked)
    if why is None:
        return torch.device(asked), None
    if why == "not present":
        return torch.device("cpu"), f"there is no {TITLES[asked]} device here, so the model runs on the CPU"
    return torch.device("cpu"), f"{TITLES[asked]} does not work here ({why}), so the model runs on the CPU"


def describe(device: torch.device | str) -> str:
    """The device in a few words: "CUDA (NVIDIA H100 80GB HBM3)", "Apple MPS", "CPU (8 threads)"."""
    device = torch.device(device)
    if device.type == "cuda":
        try:
            return f"CUDA ({torch.cuda.get_device_name(device)})"
        except Exception:  # the name is a courtesy
            return "CUDA"
    if device.type == "cpu":
        return f"CPU ({torch.get_num_threads()} threads)"
    return TITLES.get(device.type, device.type)


def title(device: torch.device | str) -> str:
    """The device's kind in one word for the status bar: "CUDA", "Apple MPS", "CPU"."""
    kind = torch.device(device).type
    return TITLES.get(kind, kind)


def of(model: torch.nn.Module) -> torch.device:
    """Where the model's weights are (the CPU for one without any)."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def put(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """`tensor` on `device` (itself when already there)."""
    return tensor if tensor.device == device else tensor.to(device, non_blocking=False)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A detached float32 copy on the CPU as a numpy array, in C order (no copy for a CPU float32
    tensor in PyTorch's default layout)."""
    return tensor.detach().float().cpu().contiguous().numpy()


_streams = threading.local()


def reading(device: torch.device):
    """A context for reading finished results on `device` from this thread: on CUDA a stream of the
    thread's own, so that copying a layer to the CPU waits for that copy alone, not for the other
    thread's work queued on the default stream (a Score-CAM batch). What is read was finished
    before it was handed over: its job's answer came back to the CPU at its end."""
    if device.type != "cuda":
        return nullcontext()
    stream = getattr(_streams, "cuda", None)
    if stream is None or stream.device != device:
        stream = _streams.cuda = torch.cuda.Stream(device)
    return torch.cuda.stream(stream)


def finish_reading(device: torch.device) -> None:
    """Inside `reading`: wait for what this thread queued on its own stream, before a tensor made
    there is used on another stream."""
    if device.type == "cuda":
        torch.cuda.current_stream(device).synchronize()


def synchronise(device: torch.device) -> None:
    """Wait until the device has finished what was queued on it (for timing; nothing on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def channels_last_allowed() -> bool:
    """DLVIZ_CHANNELS_LAST=0 keeps every model's weights in PyTorch's default layout."""
    return os.environ.get("DLVIZ_CHANNELS_LAST", "1") != "0"


def layout_of(model: torch.nn.Module) -> torch.memory_format:
    """How the model's convolution weights are laid out (the first one's; the default if none)."""
    weight = next((module.weight for module in model.modules() if isinstance(module, torch.nn.Conv2d)), None)
    if weight is not None and weight.dim() == 4 and not weight.is_contiguous() and weight.is_contiguous(
            memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


def lay_out(model: torch.nn.Module, device: torch.device, size: int) -> bool:
    """Store the model's convolution weights channels-last on the CPU (the default layout on any
    other device, or where that fails or changes the output); whether they are channels-last.

    Why: on the CPU, oneDNN's convolutions run faster on weights laid out channels-last, and
    the values each layer gives stay the same to float rounding. One thread, 224 px: resnet18's
    pass 46 -> 37 ms, the bundled EfficientNet-Lite0's 26 -> 22 ms (docs/decisions/0015). A model
    whose own code assumes the default layout (a `.view` of a feature map) is checked here on
    noise: it raises or answers differently, and keeps its layout."""
    if device.type != "cpu" or not channels_last_allowed() or not any(
            isinstance(module, torch.nn.Conv2d) for module in model.modules()):
        model.to(memory_format=torch.contiguous_format)
        return False
    noise = torch.randn((1, 3, size, size), generator=torch.Generator().manual_seed(2))
    try:
        with torch.no_grad():  # (not inference mode: weights converted there could not take part in a backward pass)
            before = model(noise)
            model.to(memory_format=torch.channels_last)
            after = model(noise)
        if isinstance(before, (tuple, list)):
            before, after = before[0], after[0]
        if torch.allclose(before.float(), after.float(), rtol=1e-3, atol=1e-4):
            return True
        log.info("channels-last weights change %s's output; it keeps its layout", type(model).__name__)
    except Exception as exc:  # the model's own code wants the default layout
        log.info("channels-last weights fail in %s (%s: %s); it keeps its layout", type(model).__name__,
                 type(exc).__name__, exc)
    model.to(memory_format=torch.contiguous_format)
    return False
