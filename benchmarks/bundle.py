"""The frozen app (`make dist` -> dist/dlviz/) against the source tree: its size, and how long each
takes to show its window and the first activations.

Starts `dist/dlviz/dlviz` and `python main.py` (this interpreter) the way benchmarks/startup.py
starts the app: offscreen, with DLVIZ_TIMING=1 and DLVIZ_EXIT_AFTER_READY=1, so that it prints
`timing first-paint T` and `timing first-activations T` (T an absolute time.time()) and quits;
times are from just before the process starts, so they include the bootloader or interpreter
starting and every import. Each gets one warm-up launch that is not counted (it fills the OS file
cache and lets the source tree write its .pyc files, PYTHONDONTWRITEBYTECODE being dropped for
these launches), then --runs launches each (default 3), the two alternating, and the medians are
reported.

The last line is `ratio: X` = bundle first paint / source first paint (median); target <= 1.2.
Exits 2 with one line on stderr if there is no bundle.

    .venv/bin/python benchmarks/bundle.py [--runs 3] [--timeout 120] [--bundle dist/dlviz]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import EVENTS, launch  # noqa: E402  (one way to launch and read the timing lines)
RATIO_TARGET = 1.2


def folder_size(folder: Path) -> tuple[int, int, dict[str, int]]:
    """Bytes (each file once, symlinks not followed), file count, and bytes per top-level entry."""
    total, files, parts, seen = 0, 0, {}, set()
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            if path.is_symlink() or (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
            files += 1
            rel = path.relative_to(folder).parts
            key = "/".join(rel[:2]) if rel[0] == "_internal" and len(rel) > 2 else rel[0]
            parts[key] = parts.get(key, 0) + st.st_size
    return total, files, parts


def gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="counted launches of each (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one launch may take (default 120)")
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "dlviz", help="the one-folder app")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    exe = args.bundle / ("dlviz.exe" if os.name == "nt" else "dlviz")
    if not exe.is_file():
        print(f"error: no bundle at {exe}; build it with `make dist`", file=sys.stderr)
        return 2

    total, files, parts = folder_size(args.bundle)
    print(f"bundle {args.bundle}: {gib(total)} in {files} files; largest parts:")
    for key, size in sorted(parts.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {gib(size):>10}  {key}")
    print()

    commands = {"bundle": [str(exe)], "source": [sys.executable, str(ROOT / "main.py")]}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="dlviz-bundle-bench-") as tmp:
        envs = {}
        for name in commands:
            env = dict(os.environ)
            # A source start that compiles every module again (no .pyc written) would flatter the
            # bundle, whose archive holds compiled code: let the warm-up write the .pyc files.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env.update(
                QT_QPA_PLATFORM="offscreen",
                DLVIZ_TIMING="1",
                DLVIZ_EXIT_AFTER_READY="1",
                DLVIZ_HOME=str(Path(tmp) / name / "home"),
                NUMBA_CACHE_DIR=str(Path(tmp) / name / "numba"),
                XDG_CONFIG_HOME=str(Path(tmp) / name / "config"),
            )
            envs[name] = env
        print(f"offscreen; 1 warm-up launch of each + {args.runs} counted, alternating")
        print(f"  bundle: {exe}")
        print(f"  source: {sys.executable} main.py")
        for name, cmd in commands.items():
            warm = launch(envs[name], args.timeout, cmd)
            print(f"  warm-up {name}  first paint {warm['first-paint']:6.2f} s   first activations "
                  f"{warm['first-activations']:6.2f} s   (not counted)")
        for i in range(args.runs):
            for name, cmd in commands.items():
                r = launch(envs[name], args.timeout, cmd)
                results[name].append(r)
                print(f"  run {i + 1}  {name}  first paint {r['first-paint']:6.2f} s   first activations "
                      f"{r['first-activations']:6.2f} s")

    med = {name: {e: statistics.median(r[e] for r in runs) for e in EVENTS} for name, runs in results.items()}
    print()
    print(f"  {'median of ' + str(args.runs):<22}{'bundle':>8}{'source':>8}{'ratio':>7}")
    for event, label in (("first-paint", "first window paint"), ("first-activations", "first activations")):
        b, s = med["bundle"][event], med["source"][event]
        print(f"  {label:<22}{b:>7.2f}s{s:>7.2f}s{b / s:>7.2f}")
    print(f"  (target: first paint ratio <= {RATIO_TARGET})")
    print()
    print(f"ratio: {med['bundle']['first-paint'] / med['source']['first-paint']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
