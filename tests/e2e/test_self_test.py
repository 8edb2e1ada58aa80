"""`dlviz --self-test` from the source tree: every check passes and the summary says so."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_self_test_passes_from_the_source_tree(tmp_path, python):
    env = dict(os.environ, DLVIZ_HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run([python, "main.py", "--self-test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1].startswith("self-test passed: 8 checks")
    assert sum(line.startswith("ok ") for line in lines) == 8
    assert "Traceback" not in proc.stderr


def test_self_test_fails_loudly_when_assets_are_missing(tmp_path, python):
    """A broken installation (here: the photos gone) exits non-zero and names the reason."""
    fake = tmp_path / "bundle"
    (fake / "assets" / "samples").mkdir(parents=True)
    (fake / "assets" / "imagenet_classes.txt").write_text("only one class\n")
    code = (
        "import sys; sys._MEIPASS = sys.argv[1]\n"
        "from dlviz import selftest\n"
        "checks = selftest._checks()[:1]\n"
        "selftest._checks = lambda: checks\n"
        "raise SystemExit(selftest.main())\n"
    )
    env = dict(os.environ, DLVIZ_HOME=str(tmp_path / "home"))
    proc = subprocess.run([python, "-c", code, str(fake)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "self-test FAILED" in proc.stdout and "only 0 sample photos" in proc.stdout
