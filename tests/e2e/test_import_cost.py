"""The window shows before torch has loaded: importing the GUI must not import torch (2-3 s here)."""

from __future__ import annotations

import subprocess


def test_the_window_module_does_not_import_torch(python):
    code = "import sys, dlviz.gui.main_window, dlviz.gui.embedding_window; print('torch' in sys.modules, 'numba' in sys.modules)"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"], "torch or numba is imported with the window; import it in the worker"
