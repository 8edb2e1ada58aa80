"""dlviz.core must stay usable without Qt: the CLI and scripts import it on machines without a display."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "dlviz" / "core"
QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6")
MODULES = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")


def test_the_expected_core_modules_exist():
    assert {"images", "models", "activations", "mosaic", "preprocess"} <= set(MODULES)


def test_importing_core_loads_no_qt(python):
    code = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module('dlviz.core.' + name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {QT!r})))\n"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, cwd=CORE.parents[1])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    roots.add(arg.value.split(".")[0])
    return roots


def test_core_source_has_no_qt_imports():
    files = sorted(CORE.glob("*.py"))
    assert files
    offenders = {p.name: sorted(imported_roots(p) & set(QT)) for p in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}
    # Nor a gui import, which would bring Qt along.
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "dlviz.gui" not in text, path.name
        assert "from dlviz import gui" not in text, path.name
