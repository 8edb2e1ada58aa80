"""The window shows before torch has loaded: building the GUI must not import torch (2-3 s here),
nor the video and camera libraries.

Torch and numba load in the worker thread, while the window is already on screen.
"""

from __future__ import annotations

import subprocess

BUILD = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
import dlviz.gui.main_window, dlviz.gui.explorer.window
from dlviz.gui.panes.glimpse import GlimpsePane
from dlviz.gui.panes.perturb import PerturbPane
from dlviz.gui.explorer.window import EmbeddingWindow
from dlviz.session import Session
panes = [GlimpsePane(Session(), None), PerturbPane(Session(), None)]
import dlviz.gui.live
print('torch' in sys.modules, 'numba' in sys.modules, 'av' in sys.modules, 'PySide6.QtMultimedia' in sys.modules)
"""


def test_building_the_panes_does_not_import_torch(python):
    out = subprocess.run([python, "-c", BUILD], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    torch, numba, av, multimedia = out.stdout.split()
    assert (torch, numba) == ("False", "False"), "torch or numba is imported with the window; import it in the worker"
    # Video decoding and the camera load FFmpeg: only when a video or the camera is opened.
    assert (av, multimedia) == ("False", "False"), "PyAV or QtMultimedia is imported with the window"
