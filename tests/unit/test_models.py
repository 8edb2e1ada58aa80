"""dlviz.core.models: the bundled model's predictions, layer discovery, local files and the offline zoo."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from dlviz.core.activations import active_hooks, run
from dlviz.core.images import load_image
from dlviz.core.models import (
    BUNDLED,
    ModelError,
    default_layer,
    discover_layers,
    fetch,
    load_model,
    weights_cache_dir,
)
from dlviz.core.progress import Callbacks


def predict(loaded, image: Path) -> list[int]:
    forward = run(loaded, loaded.preprocess.to_tensor(load_image(image)), layers=[])
    return [index for index, _ in forward.top(5)]


@pytest.fixture(scope="module")
def resnet18():
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None).eval()


@pytest.fixture(scope="module")
def resnet18_layers(resnet18):
    layers = discover_layers(resnet18)
    assert active_hooks(resnet18) == 0, "discover_layers left hooks behind"
    return layers


@pytest.fixture(scope="module")
def resnet18_file(resnet18, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "resnet18_random.pth"
    torch.save(resnet18.state_dict(), path)
    return path


@pytest.fixture
def state(resnet18) -> dict:
    """A fresh copy of the state_dict to tamper with."""
    return {k: v.clone() for k, v in resnet18.state_dict().items()}


# --------------------------------------------------------------------------- bundled model


def test_bundled_model_is_the_default(bundled):
    assert bundled.name == BUNDLED
    assert bundled.source == "bundled"
    assert bundled.hookable
    assert len(bundled.labels) == 1000
    assert bundled.start_layer in bundled.layer_names


def test_bundled_top3_on_chelsea(bundled, samples):
    """Pins the preprocessing: shorter side 256 bicubic, centre crop 224, mean = std = 0.5."""
    pre = bundled.preprocess
    assert (pre.resize, pre.crop, pre.interpolation) == (256, 224, "bicubic")
    assert pre.mean == pre.std == (0.5, 0.5, 0.5)
    top = predict(bundled, samples / "chelsea.png")
    assert set(top[:3]) == {282, 285, 281}
    assert {bundled.label(i) for i in top[:3]} == {"tiger cat", "Egyptian cat", "tabby"}


def test_bundled_top1_on_coffee(bundled, samples):
    top = predict(bundled, samples / "coffee.png")
    assert top[0] == 967
    assert bundled.label(967) == "espresso"


# --------------------------------------------------------------------------- discover_layers


def test_discover_layers_forward_order(resnet18_layers):
    names = [info.name for info in resnet18_layers]
    assert len(names) == len(set(names))
    assert names.index("conv1") < names.index("bn1") < names.index("layer1.0.conv1")
    assert names.index("layer1.0.conv1") < names.index("layer4.1.bn2") < names.index("avgpool") < names.index("fc")
    assert names[-1] == "fc"


def test_discover_layers_shapes_and_types(resnet18_layers):
    by_name = {info.name: info for info in resnet18_layers}
    assert by_name["conv1"].shape == (64, 112, 112)
    assert by_name["conv1"].type == "Conv2d"
    assert by_name["conv1"].kind == "map"
    assert by_name["maxpool"].shape == (64, 56, 56)
    assert by_name["layer3.0.conv1"].shape == (256, 14, 14)
    assert by_name["layer4"].shape == (512, 7, 7)
    assert by_name["fc"].shape == (1000,)
    assert by_name["fc"].kind == "vector"
    assert by_name["layer1.0.conv1"].depth == 2
    assert by_name["layer1"].depth == 0


def test_discover_layers_counts_shared_modules(resnet18_layers):
    by_name = {info.name: info for info in resnet18_layers}
    # BasicBlock uses its one ReLU twice; the stem's ReLU runs once.
    assert by_name["layer1.0.relu"].calls == 2
    assert by_name["layer4.1.relu"].calls == 2
    assert by_name["relu"].calls == 1
    assert by_name["conv1"].calls == 1


def test_discover_layers_flags_outputs_overwritten_in_place(resnet18_layers):
    by_name = {info.name: info for info in resnet18_layers}
    assert by_name["bn1"].mutated  # the stem's ReLU(inplace=True) overwrites it
    assert by_name["layer1.0.bn1"].mutated
    assert not by_name["conv1"].mutated
    assert not by_name["maxpool"].mutated
    assert not by_name["fc"].mutated


def test_discover_layers_skips_identity():
    model = torchvision.models.resnet18(weights=None).eval()
    model.fc = nn.Identity()
    layers = discover_layers(model)
    assert "fc" not in [info.name for info in layers]
    assert all(info.type != "Identity" for info in layers)
    assert layers[-1].name == "avgpool"
    assert active_hooks(model) == 0


def test_discover_layers_failure_is_a_model_error_and_leaves_no_hooks():
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 2)).eval()
    with pytest.raises(ModelError, match="224"):
        discover_layers(model)
    assert active_hooks(model) == 0


# --------------------------------------------------------------------------- default_layer


def check_middle_map(layers, name):
    names = [info.name for info in layers]
    assert name in names
    info = layers[names.index(name)]
    assert info.kind == "map"
    assert min(info.shape[1:]) >= 7
    # In the middle: neither the stem nor the head.
    assert 0.3 <= names.index(name) / len(names) <= 0.8
    largest = max(info.shape[1] for info in layers if info.kind == "map")
    assert info.shape[1] < largest


def test_default_layer_resnet18(resnet18_layers):
    name = default_layer(resnet18_layers)
    check_middle_map(resnet18_layers, name)
    assert "ReLU" in {info.name: info for info in resnet18_layers}[name].type


def test_default_layer_bundled(bundled):
    name = default_layer(bundled.layers)
    assert name == bundled.start_layer
    check_middle_map(bundled.layers, name)


def test_default_layer_without_maps():
    from dlviz.core.models import LayerInfo

    assert default_layer([]) is None
    layers = [LayerInfo("fc1", "Linear", (10,), 0), LayerInfo("fc2", "Linear", (3,), 0)]
    assert default_layer(layers) == "fc2"


# --------------------------------------------------------------------------- local files


def test_state_dict_file_gives_the_source_models_predictions(resnet18, resnet18_file):
    loaded = load_model("resnet18", weights=resnet18_file)
    assert loaded.hookable
    assert loaded.source == f"file {resnet18_file.name}"
    assert "conv1" in loaded.layer_names
    assert len(loaded.labels) == 1000
    torch.manual_seed(1)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = resnet18(x)
        got = loaded.model(x)
    assert loaded.model is not resnet18
    assert torch.allclose(got, expected, atol=1e-5)


def test_state_dict_with_module_prefix_and_wrapper(resnet18, state, tmp_path):
    path = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 3, "state_dict": {"module." + k: v for k, v in state.items()}}, path)
    from dlviz.core import models

    loaded = models._load_file("resnet18", path)  # no layer discovery: only the file is under test
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(loaded.model(x), resnet18(x), atol=1e-5)


def test_state_dict_missing_key(state, tmp_path):
    del state["layer2.0.bn1.weight"]
    path = tmp_path / "missing.pth"
    torch.save(state, path)
    with pytest.raises(ModelError) as info:
        load_model("resnet18", weights=path)
    assert "layer2.0.bn1.weight" in str(info.value)
    assert "missing.pth" in str(info.value)


def test_state_dict_renamed_key(state, tmp_path):
    state["layer3.1.conv2.kernel"] = state.pop("layer3.1.conv2.weight")
    path = tmp_path / "renamed.pth"
    torch.save(state, path)
    with pytest.raises(ModelError) as info:
        load_model("resnet18", weights=path)
    assert "layer3.1.conv2.weight" in str(info.value)


def test_state_dict_unexpected_key(state, tmp_path):
    state["extra.weight"] = torch.zeros(3)
    path = tmp_path / "extra.pth"
    torch.save(state, path)
    with pytest.raises(ModelError, match=r"extra\.weight"):
        load_model("resnet18", weights=path)


def test_state_dict_wrong_shape(state, tmp_path):
    state["layer1.0.conv1.weight"] = torch.zeros(64, 64, 1, 1)
    path = tmp_path / "shape.pth"
    torch.save(state, path)
    with pytest.raises(ModelError) as info:
        load_model("resnet18", weights=path)
    text = str(info.value)
    assert "layer1.0.conv1.weight" in text
    assert "(64, 64, 1, 1)" in text
    assert "(64, 64, 3, 3)" in text


class _RunsCode:
    """Unpickling this runs a shell command."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.mark.parametrize("wrap", [False, True], ids=["bare", "inside-dict"])
def test_pickle_that_runs_code_is_refused(tmp_path, wrap):
    marker = tmp_path / "pwned"
    payload = _RunsCode(f"echo pwned > '{marker}'")
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"w": payload}} if wrap else payload, path)
    with pytest.raises(ModelError) as info:
        load_model("resnet18", weights=path)
    assert "could run code" in str(info.value)
    assert "evil.pth" in str(info.value)
    assert not marker.exists(), "the pickled command was executed"


class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))


@pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_archive(tmp_path, how, chelsea):
    torch.manual_seed(2)
    net = _Tiny().eval()
    example = torch.randn(1, 3, 224, 224)
    compiled = torch.jit.script(net) if how == "script" else torch.jit.trace(net, example)
    path = tmp_path / f"tiny_{how}.pt"
    compiled.save(str(path))

    loaded = load_model(weights=path)
    assert not loaded.hookable
    assert loaded.layers == []
    assert loaded.start_layer == "output"
    forward = run(loaded, loaded.preprocess.to_tensor(load_image(chelsea)))
    assert forward.probs.shape == (10,)
    assert forward.probs.min() >= 0
    assert forward.probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert set(forward.activations) == {"output"}
    with torch.no_grad():
        expected = net(loaded.preprocess.to_tensor(load_image(chelsea)))[0].numpy()
    assert np.allclose(forward.activations["output"], expected, atol=1e-5)


def test_labels_file_for_a_model_with_three_classes(tmp_path, chelsea):
    torch.manual_seed(3)
    path = tmp_path / "three.pth"
    torch.save(torchvision.models.resnet18(weights=None, num_classes=3).state_dict(), path)
    labels = tmp_path / "labels.txt"
    labels.write_text("apple\n\nbanana  \ncherry\n", encoding="utf-8")

    loaded = load_model("resnet18", weights=path, labels=labels)
    assert loaded.labels == ["apple", "banana", "cherry"]
    assert loaded.label(0) == "apple"
    assert loaded.label(2) == "cherry"
    assert loaded.layer("fc").shape == (3,)
    forward = run(loaded, loaded.preprocess.to_tensor(load_image(chelsea)), layers=[])
    assert forward.probs.shape == (3,)
    assert loaded.label(int(np.argmax(forward.probs))) in loaded.labels


def test_three_classes_without_labels_file(tmp_path):
    path = tmp_path / "three.pth"
    torch.save(torchvision.models.resnet18(weights=None, num_classes=3).state_dict(), path)
    from dlviz.core import models

    # Only the labels decision is under test here: skip the dry run that finds the layers.
    loaded = models._load_file("resnet18", path)
    assert loaded.labels is None
    assert loaded.label(0) == "class 0"


def test_empty_labels_file(resnet18_file, tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(ModelError, match="no labels"):
        load_model("resnet18", weights=resnet18_file, labels=labels)


def test_weights_without_a_model_name(resnet18_file):
    with pytest.raises(ModelError, match="architecture"):
        load_model(weights=resnet18_file)


def test_weights_file_that_does_not_exist(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model("resnet18", weights=tmp_path / "nope.pth")


def test_weights_path_is_a_folder(tmp_path):
    with pytest.raises(ModelError, match="folder"):
        load_model("resnet18", weights=tmp_path)


def test_weights_file_that_is_not_pytorch(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("just some text\n", encoding="utf-8")
    with pytest.raises(ModelError, match="notes.pth"):
        load_model("resnet18", weights=path)


def test_unknown_model_name():
    with pytest.raises(ModelError, match="no_such_network"):
        load_model("no_such_network")


def test_unknown_architecture_for_weights(resnet18_file):
    with pytest.raises(ModelError, match="no_such_network"):
        load_model("no_such_network", weights=resnet18_file)


# --------------------------------------------------------------------------- the offline zoo


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "torch-home"
    home.mkdir()
    monkeypatch.setenv("TORCH_HOME", str(home))
    assert weights_cache_dir() == home / "hub" / "checkpoints"
    return home


def test_fetch_unreachable_url(torch_home):
    folder = weights_cache_dir()
    with pytest.raises(ModelError) as info:
        fetch("http://127.0.0.1:9/resnet18-f37072fd.pth", folder)
    text = str(info.value)
    assert "\n" not in text
    assert "resnet18-f37072fd.pth" in text
    assert str(folder) in text
    assert not any(folder.iterdir()), "a partial file was left behind"


@pytest.fixture
def blob(tmp_path):
    """A 300 kB file, several read chunks long, and its sha256."""
    import hashlib

    data = np.random.default_rng(4).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    return data, hashlib.sha256(data).hexdigest()


def test_fetch_file_url_checks_hash_and_reports_progress(tmp_path, blob):
    data, digest = blob
    source = tmp_path / "src" / f"net-{digest[:8]}.pth"
    source.parent.mkdir()
    source.write_bytes(data)
    folder = tmp_path / "cache"
    reports = []

    target = fetch(source.as_uri(), folder, Callbacks(lambda f, t, p: reports.append((f, t))))
    assert target == folder / source.name
    assert target.read_bytes() == data
    assert sorted(p.name for p in folder.iterdir()) == [source.name]
    fractions = [f for f, _ in reports]
    assert len(fractions) >= 3
    assert all(b > a for a, b in zip(fractions, fractions[1:]))
    assert 0 < fractions[-1] <= 1
    assert all(source.name in text for _, text in reports)

    # Already there: no second download.
    again = []
    assert fetch(source.as_uri(), folder, Callbacks(lambda f, t, p: again.append(f))) == target
    assert again == []


def test_fetch_wrong_hash_is_corrupt(tmp_path, blob):
    data, digest = blob
    wrong = "deadbeef"
    assert not digest.startswith(wrong)
    source = tmp_path / f"net-{wrong}.pth"
    source.write_bytes(data)
    folder = tmp_path / "cache"
    with pytest.raises(ModelError, match="corrupt"):
        fetch(source.as_uri(), folder)
    assert list(folder.iterdir()) == []


def test_fetch_cancelled_leaves_no_partial_file(tmp_path, blob):
    data, digest = blob
    source = tmp_path / f"net-{digest[:8]}.pth"
    source.write_bytes(data)
    folder = tmp_path / "cache"
    with pytest.raises(ModelError, match="cancelled"):
        fetch(source.as_uri(), folder, Callbacks(should_stop=lambda: True))
    assert list(folder.iterdir()) == []


def no_network(*args, **kwargs):
    raise OSError("network is unreachable (blocked by the test)")


def test_torchvision_model_from_the_cache_without_network(torch_home, monkeypatch):
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", no_network)  # dlviz's download
    monkeypatch.setattr(torch.hub, "urlopen", no_network)  # torchvision's, through torch.hub
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    cached = weights_cache_dir() / url.rsplit("/", 1)[-1]
    cached.parent.mkdir(parents=True)
    torch.manual_seed(5)
    source = torchvision.models.resnet18(weights=None).eval()
    torch.save(source.state_dict(), cached)

    reports = []
    loaded = load_model("resnet18", progress=Callbacks(lambda f, t, p: reports.append(f)))
    assert loaded.name == "resnet18"
    assert loaded.source.startswith("torchvision")
    assert loaded.hookable
    pre = loaded.preprocess
    assert (pre.crop, pre.resize, pre.interpolation) == (224, 256, "bilinear")
    assert pre.mean == pytest.approx((0.485, 0.456, 0.406))
    assert loaded.labels[281] == "tabby"
    assert reports[-1] == 1.0
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(loaded.model(x), source(x), atol=1e-5)
    assert sorted(p.name for p in cached.parent.iterdir()) == [cached.name]


def test_torchvision_model_offline_names_the_cache(torch_home, monkeypatch):
    """Nothing cached and no network: one sentence that says where to put the file."""
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(ModelError) as info:
        load_model("resnet18")
    assert "resnet18-f37072fd.pth" in str(info.value)
    assert str(weights_cache_dir()) in str(info.value)


def test_a_layer_is_found_by_name_in_the_list_as_it_is_now():
    """LoadedModel.layer looks names up in an index: a replaced or grown list is seen, a name met
    twice gives its first layer, as the scan of the list it replaced did, and a missing one is a
    KeyError."""
    import torch.nn as nn

    from dlviz.core.models import LayerInfo, LoadedModel
    from dlviz.core.preprocess import Preprocess

    first, twin, other = LayerInfo("a", "Conv2d", (4, 2, 2), 0), LayerInfo("a", "ReLU", (4, 2, 2), 0), LayerInfo("b", "ReLU", (4,), 0)
    loaded = LoadedModel("tiny", nn.Identity(), Preprocess(), None, "test", layers=[first, twin])
    assert loaded.layer("a") is first
    with pytest.raises(KeyError):
        loaded.layer("b")
    loaded.layers.append(other)
    assert loaded.layer("b") is other
    loaded.layers = [other]
    assert loaded.layer("b") is other
    with pytest.raises(KeyError):
        loaded.layer("a")
