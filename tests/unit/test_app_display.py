"""Before Qt aborts on a machine that cannot show a window, dlviz says why in one sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dlviz.gui.launch import display_problem

ROOT = Path(__file__).resolve().parents[2]


def test_no_display_on_linux_is_explained():
    problem = display_problem({}, "linux")
    assert "no display" in problem and "offscreen" in problem


def test_missing_x11_libraries_are_named_with_their_packages():
    problem = display_problem({"DISPLAY": ":0"}, "linux", find_library=lambda name: None if name == "xcb-cursor" else "lib.so")
    assert "libxcb-cursor0" in problem and "apt-get install libxcb-cursor0" in problem
    assert "icccm" not in problem


def test_fine_setups_are_left_alone():
    everything = lambda name: "lib.so"  # noqa: E731
    assert display_problem({"DISPLAY": ":0"}, "linux", find_library=everything) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({}, "darwin") is None and display_problem({}, "win32") is None


def test_the_app_exits_2_with_one_line_instead_of_aborting(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["DLVIZ_HOME"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: there is no display")
