"""The house rules: the layers and contracts in pyproject.toml hold, no module imports another's
private name, nothing imports in a circle, and no module grows past what a reader can hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dlviz"
MODULES = sorted(PACKAGE.rglob("*.py"))
LONGEST = 620  # lines; a longer module needs a decision record that says why (none does today)


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_import_contracts_hold():
    done = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "broken" in done.stdout and " 0 broken" in done.stdout


def test_no_module_imports_in_a_circle():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("dlviz")
    modules = sorted(graph.modules)
    index = {m: k for k, m in enumerate(modules)}
    edges = {m: [i for i in graph.find_modules_directly_imported_by(m) if i in index] for m in modules}
    # Tarjan's strongly connected components: any component of two or more modules is a circle.
    counter, stack, on_stack, low, order, circles = [0], [], set(), {}, {}, []

    def visit(m):
        order[m] = low[m] = counter[0]
        counter[0] += 1
        stack.append(m)
        on_stack.add(m)
        for n in edges[m]:
            if n not in order:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in on_stack:
                low[m] = min(low[m], order[n])
        if low[m] == order[m]:
            component = []
            while True:
                n = stack.pop()
                on_stack.discard(n)
                component.append(n)
                if n == m:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for m in modules:
        if m not in order:
            visit(m)
    assert circles == []


def test_no_module_uses_another_modules_private_names():
    offences = []
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        aliases = {}  # local name -> the dlviz module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dlviz"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offences.append(f"{_name(path)} imports {node.module}.{alias.name}")
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("dlviz"):
                        aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                offences.append(f"{_name(path)} uses {aliases[node.value.id]}.{node.attr}")
    assert offences == []


def test_modules_stay_short_and_the_main_window_small():
    long = {_name(p): n for p in MODULES if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONGEST}
    assert long == {}
    tree = ast.parse((PACKAGE / "gui" / "main_window.py").read_text(encoding="utf-8"))
    window = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "MainWindow")
    assert window.end_lineno - window.lineno < 300
