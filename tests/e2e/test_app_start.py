"""The app as a user starts it: `python main.py` in its own process, offscreen."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, **extra):
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        DLVIZ_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        DLVIZ_TIMING="1",
        DLVIZ_EXIT_AFTER_READY="1",
    )
    env.update(extra)
    return env


def test_main_py_paints_then_shows_activations_and_exits_cleanly(tmp_path, python):
    proc = subprocess.run(
        [python, "main.py"], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
    events = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("timing ")]
    assert events == ["first-paint", "first-activations"]
    stamps = [float(line.split()[2]) for line in proc.stdout.splitlines() if line.startswith("timing ")]
    assert stamps[0] < stamps[1]  # the window is painted before the model has finished
    assert "Traceback" not in proc.stderr
    # Closing saved the window state under the config folder, not the user's.
    assert list((tmp_path / "config").rglob("*.conf")) or list((tmp_path / "config").rglob("*.ini"))


def test_console_script_opens_a_given_image_model_and_layer(tmp_path, python, samples):
    script = os.path.join(os.path.dirname(python), "dlviz")
    proc = subprocess.run(
        [script, str(samples / "coffee.png"), "--layer", "blocks.3"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "timing first-activations" in proc.stdout


@pytest.mark.parametrize("model, words", [("no_such_net", "Unknown model 'no_such_net'"),
                                          ("resnet18", "Could not download resnet18-")])
def test_a_model_that_cannot_be_had_is_said_and_the_exit_status_is_2(tmp_path, python, model, words):
    refuse = "http://127.0.0.1:9"  # offline, even on a machine with a network
    env = _env(tmp_path, TORCH_HOME=str(tmp_path / "torch"), https_proxy=refuse, HTTPS_PROXY=refuse,
               http_proxy=refuse, HTTP_PROXY=refuse, no_proxy="", NO_PROXY="")
    proc = subprocess.run([python, "main.py", "--model", model], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 2, proc.stderr  # the model asked for could not be had: said, not hidden
    assert "timing first-activations" in proc.stdout  # the window carried on with the bundled model
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and words in errors[0] and "Falling back to the bundled model" in errors[0]
    assert "Traceback" not in proc.stderr


def test_python_m_dlviz_lists_every_command(tmp_path, python):
    from dlviz.cli import COMMANDS

    proc = subprocess.run([python, "-m", "dlviz", "--help"], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    listed = " ".join(proc.stdout.split())
    assert all(command in listed for command in COMMANDS) and "--self-test" in listed
