"""How long `python main.py` takes to show its window and to show the first activations.

Starts the app as a subprocess with DLVIZ_TIMING=1 and DLVIZ_EXIT_AFTER_READY=1: the app then prints
`timing first-paint T` when the window is first painted and `timing first-activations T` when the
first activations are drawn (T an absolute time.time()), and quits. Times are measured from just
before the subprocess is started, so they include the interpreter starting and every import.

One warm-up launch is not counted (the first after an install compiles .pyc files); then the median
of --runs launches (default 3) is reported. Targets: first paint 1 s, first activations 5 s.
The last line is `ratio: X` = median first activations / 5 s.

The app runs offscreen (QT_QPA_PLATFORM=offscreen) with DLVIZ_HOME, NUMBA_CACHE_DIR and
XDG_CONFIG_HOME (where Qt keeps the window settings) in a temporary folder, so nothing of the
user's is read or written.

    .venv/bin/python benchmarks/startup.py [--runs 3] [--timeout 90]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAINT_TARGET_S = 1.0
ACTIVATIONS_TARGET_S = 5.0
EVENTS = ("first-paint", "first-activations")


def launch(env: dict, timeout_s: float, cmd: list[str] | None = None) -> dict[str, float]:
    """Seconds from just before the launch to each timing event the app prints.

    `cmd` defaults to `python main.py`; benchmarks/bundle.py passes the frozen app.
    """
    cmd = cmd or [sys.executable, str(ROOT / "main.py")]
    start = time.time()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise SystemExit(f"{cmd[0]} did not quit within {timeout_s:g} s\n--- stdout\n{out}\n--- stderr\n{err}")
    seen = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "timing" and parts[1] in EVENTS:
            seen.setdefault(parts[1], float(parts[2]) - start)
    missing = [e for e in EVENTS if e not in seen]
    if missing or proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with code {proc.returncode} without reporting "
                         f"{', '.join(missing) or '-'}\n--- stdout\n{out}\n--- stderr\n{err}")
    return seen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="counted launches (default 3)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds one launch may take (default 90)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="dlviz-startup-") as tmp:
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            DLVIZ_TIMING="1",
            DLVIZ_EXIT_AFTER_READY="1",
            DLVIZ_HOME=str(Path(tmp) / "home"),
            NUMBA_CACHE_DIR=str(Path(tmp) / "numba"),
            XDG_CONFIG_HOME=str(Path(tmp) / "config"),
        )
        print(f"python main.py ({sys.executable}), offscreen; 1 warm-up launch + {args.runs} counted")
        warm = launch(env, args.timeout)
        print(f"  warm-up  first paint {warm['first-paint']:6.2f} s   first activations "
              f"{warm['first-activations']:6.2f} s   (not counted)")
        runs = []
        for i in range(args.runs):
            r = launch(env, args.timeout)
            runs.append(r)
            print(f"  run {i + 1}    first paint {r['first-paint']:6.2f} s   first activations "
                  f"{r['first-activations']:6.2f} s")

    paint = statistics.median(r["first-paint"] for r in runs)
    acts = statistics.median(r["first-activations"] for r in runs)
    print()
    print(f"  {'median of ' + str(args.runs):<22}{'seconds':>8}{'target':>8}{'ratio':>7}")
    print(f"  {'first window paint':<22}{paint:>8.2f}{PAINT_TARGET_S:>8.1f}{paint / PAINT_TARGET_S:>7.2f}")
    print(f"  {'first activations':<22}{acts:>8.2f}{ACTIVATIONS_TARGET_S:>8.1f}{acts / ACTIVATIONS_TARGET_S:>7.2f}")
    print()
    print(f"ratio: {acts / ACTIVATIONS_TARGET_S:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
