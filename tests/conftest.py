"""Shared test set-up: headless Qt unless --headed, a writable numba cache, no user settings touched."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "assets" / "samples"


def pytest_addoption(parser):
    parser.addoption("--headed", action="store_true", help="show Qt windows instead of running offscreen")


def pytest_configure(config):
    if not config.getoption("--headed"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "dlviz-numba-cache"))
    # The suite runs on the CPU on any machine; tests/gpu asks for a GPU by name.
    os.environ.setdefault("DLVIZ_DEVICE", "cpu")
    os.environ.setdefault("DLVIZ_WARM_UP", "0")  # the app's background numba warm-up; one test turns it on  # as the app does (dlviz.app._prepare_environment)
    # The app keeps its logs and settings under DLVIZ_HOME; tests never write to the user's.
    os.environ["DLVIZ_HOME"] = tempfile.mkdtemp(prefix="dlviz-test-home-")
    # A download attempted by a test must fail fast instead of waiting on a closed network.
    os.environ.setdefault("TORCH_HOME", tempfile.mkdtemp(prefix="dlviz-test-torch-"))


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def chelsea() -> Path:
    return SAMPLES / "chelsea.png"


@pytest.fixture(scope="session")
def bundled():
    """The bundled model, loaded once for the whole run (about 1 s)."""
    from dlviz.core.models import load_model

    return load_model()


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable
