"""The command line: the same core as the window, scriptable.

User errors exit 2 with one line `error: ...` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

COMMANDS = ("predict", "layers", "activations", "shot", "cam", "backprop", "featurevis", "topimages", "embed", "attend")
# Commands that live in their own modules: (module, its commands).
_EXTENSIONS = (("dlviz.cli.explain", ("cam", "backprop")), ("dlviz.cli.featurevis", ("featurevis",)),
               ("dlviz.cli.topimages", ("topimages",)), ("dlviz.cli.embed", ("embed",)), ("dlviz.cli.attend", ("attend",)))


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CliError(message)


def _model_options(parser):
    parser.add_argument("--model", help="bundled 'efficientnet_lite0' (default), a torchvision classifier name, or the architecture of --weights")
    parser.add_argument("--weights", help="a local state_dict or TorchScript file")
    parser.add_argument("--labels", help="class names, one per line, for a model not trained on ImageNet")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlviz", description="See what a neural network does.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("predict", help="the top classes for an image")
    p.add_argument("image")
    _model_options(p)
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = commands.add_parser("layers", help="every layer with its type and output shape")
    _model_options(p)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("activations", help="one layer's activation for an image, as .npy or a .png mosaic")
    p.add_argument("image")
    p.add_argument("--layer", required=True)
    p.add_argument("--out", required=True, help="FILE.npy (raw float32) or FILE.png (the grid)")
    _model_options(p)

    p = commands.add_parser("shot", help="a screenshot of the window on an image, made offscreen")
    p.add_argument("image")
    p.add_argument("--out", required=True)
    p.add_argument("--size", default="1400x880", help="window size WxH")
    p.add_argument("--layer")
    _model_options(p)
    for module in _extensions():
        module.add_parsers(commands, _model_options)
    return parser


def _extensions():
    import importlib

    modules = []
    for name, _ in _EXTENSIONS:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:  # a build without that feature: its commands are absent
            if exc.name != name:
                raise
    return modules


def _handler(command):
    handlers = {"predict": cmd_predict, "layers": cmd_layers, "activations": cmd_activations, "shot": cmd_shot}
    for module in _extensions():
        handlers.update(module.HANDLERS)
    return handlers[command]


def _progress_bar():
    """Draws download progress on stderr; quiet for the short steps."""
    state = {"drawn": False}

    def report(fraction, text):
        if text.startswith("downloading"):
            filled = int(fraction / 0.85 * 30)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {text}   ")
            sys.stderr.flush()
            state["drawn"] = True
        elif state["drawn"]:
            sys.stderr.write("\n")
            state["drawn"] = False

    return report


def _load(args):
    from dlviz.core.models import load_model

    return load_model(args.model, args.weights, args.labels, progress=_progress_bar())


def _image(path):
    from dlviz.core.images import load_image

    return load_image(path)


def cmd_predict(args):
    if args.top < 1:
        raise CliError("--top must be at least 1")
    rgb = _image(args.image)
    loaded = _load(args)
    from dlviz.core.activations import run

    forward = run(loaded, loaded.preprocess.to_tensor(rgb), layers=[])
    top = [{"index": i, "label": loaded.label(i), "prob": p} for i, p in forward.top(args.top)]
    if args.json:
        print(json.dumps({"model": loaded.name, "image": str(args.image), "top": top}))
    else:
        for row in top:
            print(f"{row['prob']:7.2%}  {row['label']}  ({row['index']})")
    return 0


def cmd_layers(args):
    loaded = _load(args)
    rows = [{"name": i.name, "type": i.type, "shape": list(i.shape)} for i in loaded.layers]
    if not loaded.hookable:  # TorchScript: only the output can be recorded
        from dlviz.core.models import output_size

        rows = [{"name": "output", "type": "TorchScript output", "shape": [output_size(loaded.model, loaded.preprocess.crop)]}]
    if args.json:
        print(json.dumps({"model": loaded.name, "layers": rows}))
    else:
        width = max((len(r["name"]) for r in rows), default=10)
        for r in rows:
            print(f"{r['name']:<{width}}  {r['type']:<22} {'×'.join(map(str, r['shape']))}")
    return 0


def cmd_activations(args):
    out = Path(args.out)
    if out.suffix.lower() not in (".npy", ".png"):
        raise CliError(f"--out must end in .npy or .png, not '{out.suffix or out.name}'")
    rgb = _image(args.image)
    loaded = _load(args)
    names = loaded.layer_names if loaded.hookable else ["output"]
    if args.layer not in names:
        close = [n for n in names if args.layer in n][:3]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `dlviz layers`."
        raise CliError(f"the model has no layer '{args.layer}'{hint}")
    import numpy as np

    from dlviz.core.activations import run

    act = run(loaded, loaded.preprocess.to_tensor(rgb), layers=[args.layer] if loaded.hookable else []).activations[args.layer]
    try:
        if out.suffix.lower() == ".npy":
            np.save(out, act.astype(np.float32))
        else:
            from PIL import Image

            from dlviz.core.mosaic import mosaic, upscale_nearest

            rgb_grid, _ = mosaic(act)
            factor = max(1, 768 // max(rgb_grid.shape[:2]))
            Image.fromarray(upscale_nearest(rgb_grid, factor)).save(out)
    except OSError as exc:
        raise CliError(f"could not write {out}: {exc.strerror or exc}") from exc
    print(f"{args.layer}: {'×'.join(map(str, act.shape))} -> {out}")
    return 0


def cmd_shot(args):
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise CliError(f"--size must look like 1400x880, not '{args.size}'") from None
    if not (640 <= width <= 7680 and 480 <= height <= 4320):
        raise CliError(f"--size {width}x{height} is outside 640x480 to 7680x4320")
    if Path(args.out).suffix.lower() != ".png":
        raise CliError(f"--out must end in .png, not '{Path(args.out).suffix or Path(args.out).name}'")
    _image(args.image)  # a bad image is reported before any window is made
    from dlviz.app import take_screenshot

    problem = take_screenshot(args.image, args.out, (width, height), args.model, args.weights, args.labels, args.layer)
    if problem:
        raise CliError(problem)
    print(f"saved {args.out}")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        return _handler(args.command)(args)
    except CliError as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # `dlviz layers | head`: the reader left; that is not an error
        # Before `except Exception`, which would catch it first. Point stdout's descriptor at
        # devnull so that flushing at exit does not fail on the closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        name = type(exc).__name__
        if name in ("ModelError", "ImageError"):
            return _fail(str(exc))
        raise
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    message = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    # Run the imported module, not this __main__ copy, so its CliError is the one handlers raise.
    from dlviz import cli as _cli

    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "dlviz" / "numba"))
    raise SystemExit(_cli.main())
