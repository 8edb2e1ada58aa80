"""Which device the model runs on: the best one present, the one asked for, or the CPU with one
sentence that says why."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlviz.core import devices
from dlviz.core.models import LoadedModel, move
from dlviz.core.preprocess import Preprocess


@pytest.fixture
def machine(monkeypatch):
    """A machine whose listed devices the test chooses; nothing remembered from an earlier test."""
    monkeypatch.setattr(devices, "_works", {})
    monkeypatch.delenv("DLVIZ_DEVICE", raising=False)

    def set_listed(*kinds):
        monkeypatch.setattr(devices, "listed", lambda: [*kinds, "cpu"])

    return set_listed


def test_auto_takes_the_best_device_that_works(machine):
    machine()
    assert devices.choose("auto") == (torch.device("cpu"), None)
    assert devices.choose(None) == (torch.device("cpu"), None)


def test_a_missing_device_is_one_sentence_and_the_cpu(machine):
    machine()
    device, note = devices.choose("cuda")
    assert device == torch.device("cpu")
    assert note == "there is no CUDA device here, so the model runs on the CPU"
    assert devices.choose("mps")[1] == "there is no Apple MPS device here, so the model runs on the CPU"


def test_a_listed_device_that_fails_its_first_sum_is_passed_over(machine, monkeypatch):
    machine("cuda")
    ones = torch.ones

    def failing(*args, device=None, **kwargs):
        if device == "cuda":
            raise RuntimeError("CUDA error: no kernel image is available for execution on the device\nmore")
        return ones(*args, device=device, **kwargs)

    monkeypatch.setattr(torch, "ones", failing)
    assert devices.present() == ["cpu"]
    assert devices.choose("auto") == (torch.device("cpu"), None)
    device, note = devices.choose("cuda")
    assert device == torch.device("cpu")
    assert note == "CUDA does not work here (CUDA error: no kernel image is available for execution on the device), so the model runs on the CPU"


def test_the_environment_can_ask_instead_of_auto(machine, monkeypatch):
    machine()
    monkeypatch.setenv("DLVIZ_DEVICE", "mps")
    assert devices.choose("auto")[1] == "there is no Apple MPS device here, so the model runs on the CPU"
    assert devices.choose("cpu") == (torch.device("cpu"), None)  # a device named outright wins
    monkeypatch.setenv("DLVIZ_DEVICE", "nonsense")
    assert devices.choose("auto") == (torch.device("cpu"), None)


def test_a_model_that_cannot_move_stays_on_the_cpu_and_says_why(machine, monkeypatch):
    machine("cuda")
    monkeypatch.setattr(devices, "_works", {"cuda": None})  # as if the device worked
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    loaded = LoadedModel("tiny", net, Preprocess(), None, "test")
    moves = []

    def to(*args, **kwargs):
        if not args:
            return net  # a layout for the weights (devices.lay_out), not a device
        moves.append(str(args[0]))
        if str(args[0]) == "cuda":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return net

    monkeypatch.setattr(net, "to", to)
    move(loaded, "auto")
    assert moves == ["cuda", "cpu"]
    assert loaded.device == torch.device("cpu")
    assert loaded.device_note == "tiny could not run on CUDA (CUDA out of memory. Tried to allocate 2.00 GiB), so it runs on the CPU"


def test_the_bundled_model_records_where_it_runs(bundled):
    assert bundled.device == torch.device("cpu") and bundled.device_note is None
    assert devices.of(bundled.model) == bundled.device
    assert devices.describe(bundled.device).startswith("CPU (")
    x = torch.zeros(1, 3, 4, 4)
    assert bundled.put(x) is x  # already there: no copy


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the note is for one without")
def test_the_command_line_says_when_the_device_is_missing(capsys):
    from dlviz.cli import main

    assert main(["layers", "--device", "cuda"]) == 0
    out, err = capsys.readouterr()
    assert err.strip() == "note: there is no CUDA device here, so the model runs on the CPU"
    assert out.startswith("# efficientnet_lite0 (bundled) on CPU (")
    assert main(["layers", "--device", "tpu"]) == 2
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


def _small_convnet(flatten_by_view: bool = False) -> nn.Module:
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.bn = nn.BatchNorm2d(8)
            self.head = nn.Linear(8 * 8 * 8, 5)

        def forward(self, x):
            x = torch.relu(self.bn(self.conv(x)))
            x = nn.functional.adaptive_avg_pool2d(x, 8)
            # A feature map's `.view`: fine in the default layout, an error channels-last.
            return self.head(x.view(x.shape[0], -1) if flatten_by_view else x.flatten(1))

    torch.manual_seed(0)
    return Net().eval()


def test_convolution_weights_go_channels_last_on_the_cpu_with_the_same_output():
    model = _small_convnet()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        before = model(x)
    assert devices.lay_out(model, torch.device("cpu"), 32)
    assert model.conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.conv.weight.is_contiguous()
    with torch.no_grad():
        assert torch.allclose(model(x), before, rtol=1e-4, atol=1e-5)
    x.requires_grad_(True)
    model(x)[0, 1].backward()  # the converted weights still take part in a backward pass
    assert x.grad is not None and model.conv.weight.grad is not None


def test_a_model_that_wants_the_default_layout_keeps_it():
    model = _small_convnet(flatten_by_view=True)
    assert not devices.lay_out(model, torch.device("cpu"), 32)
    assert model.conv.weight.is_contiguous()
    with torch.no_grad():
        model(torch.rand(1, 3, 32, 32))  # and still runs


def test_other_devices_no_convolutions_and_the_switch_keep_the_default_layout(monkeypatch):
    model = _small_convnet()
    assert not devices.lay_out(model, torch.device("cuda"), 32)  # (nothing is moved: the layout only)
    assert model.conv.weight.is_contiguous()
    assert not devices.lay_out(nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2)), torch.device("cpu"), 4)
    monkeypatch.setenv("DLVIZ_CHANNELS_LAST", "0")
    assert not devices.lay_out(model, torch.device("cpu"), 32)
    assert model.conv.weight.is_contiguous()


def test_a_loaded_model_says_its_layout_and_its_layers_read_in_c_order(bundled):
    from dlviz.core.activations import run

    assert bundled.channels_last  # (on this CPU)
    forward = run(bundled, torch.rand(1, 3, 224, 224))
    assert forward.activations[bundled.start_layer].flags["C_CONTIGUOUS"]
