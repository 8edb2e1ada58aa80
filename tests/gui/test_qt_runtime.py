"""The Qt binding itself: a release that loses references on every signal emit crashes the app."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Probe(QObject):
    flag = Signal(bool)
probe = Probe()
probe.flag.connect(lambda value: None)
before = sys.getrefcount(True)
for _ in range(2000):
    probe.flag.emit(True)
print(sys.getrefcount(True) - before)
"""


def test_signal_emits_keep_python_refcounts_intact():
    # In a subprocess: with a broken binding the interpreter aborts rather than failing an assert.
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-400:]
    assert abs(int(proc.stdout.strip())) < 50
