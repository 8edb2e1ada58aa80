"""`dlviz featurevis`: the image a unit (or a class) likes most, written as a PNG."""

from __future__ import annotations

import sys
import time
from pathlib import Path

COMMANDS = ("featurevis",)


def add_parsers(commands, model_options) -> None:
    p = commands.add_parser(
        "featurevis",
        help="optimise an image that excites one unit (or one class) as much as possible",
        description="Optimise an image that makes one unit of a layer (or one class logit) fire as strongly as possible.",
    )
    p.add_argument("--layer", help="the layer's name as `dlviz layers` prints it; 'output' for the logits")
    p.add_argument("--unit", type=int, help="the unit (channel) of the layer, from 0")
    p.add_argument("--class", dest="class_index", type=int, metavar="INDEX", help="a class logit instead of --layer/--unit")
    p.add_argument("--neuron", action="store_true", help="the unit's centre position instead of its mean over the map")
    p.add_argument("--steps", type=int, default=256)
    p.add_argument("--size", type=int, default=128, help="image side in pixels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="FILE.png")
    model_options(p)


def _check(args):
    from dlviz.cli import CliError

    if Path(args.out).suffix.lower() != ".png":
        raise CliError(f"--out must end in .png, not '{Path(args.out).suffix or Path(args.out).name}'")
    if args.class_index is not None:
        if args.layer not in (None, "output") or args.unit is not None:
            raise CliError("give either --class INDEX or --layer NAME --unit N, not both")
        if args.class_index < 0:
            raise CliError("--class must be at least 0")
    else:
        if args.layer is None or args.unit is None:
            raise CliError("give --layer NAME and --unit N (or --class INDEX)")
        if args.unit < 0:
            raise CliError("--unit must be at least 0")
    if args.steps < 1:
        raise CliError("--steps must be at least 1")
    if not 16 <= args.size <= 1024:
        raise CliError("--size must lie between 16 and 1024 pixels")


def cmd_featurevis(args) -> int:
    from dlviz.cli import CliError

    _check(args)
    from dlviz.cli import _load

    loaded = _load(args)
    if args.class_index is not None:
        layer, unit, kind = None, args.class_index, "class"
        what = f"class {unit} ({loaded.label(unit)})"
    elif args.layer == "output":
        layer, unit, kind = None, args.unit, "class"
        what = f"class {unit} ({loaded.label(unit)})"
    else:
        if not loaded.hookable:
            raise CliError(f"{loaded.name} cannot be hooked (TorchScript): only --layer output or --class works")
        names = loaded.layer_names
        if args.layer not in names:
            close = [n for n in names if args.layer in n][:3]
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `dlviz layers`."
            raise CliError(f"the model has no layer '{args.layer}'{hint}")
        info = loaded.layer(args.layer)
        units = info.shape[0] if info.shape else 1
        if unit_out_of_range(args.unit, units):
            raise CliError(f"layer '{args.layer}' has {units} units (0 to {units - 1}); there is no unit {args.unit}")
        layer, unit, kind = args.layer, args.unit, "neuron" if args.neuron else "channel"
        what = f"{layer} unit {unit}"
    if kind == "class":
        from dlviz.core.models import output_size

        outputs = output_size(loaded.model, loaded.preprocess.crop)
        if unit_out_of_range(unit, outputs):
            raise CliError(f"the model has {outputs} classes (0 to {outputs - 1}); there is no class {unit}")

    from dlviz.core.featurevis import Settings, visualise

    settings = Settings(kind=kind, steps=args.steps, size=args.size, seed=args.seed)
    state = {"last": time.perf_counter(), "shown": -1}

    def report(fraction, partial):
        # Sparse progress: at most every 2 s, on its own line, so logs stay readable.
        now = time.perf_counter()
        percent = int(fraction * 100)
        if fraction < 1.0 and now - state["last"] >= 2.0 and percent != state["shown"]:
            state["last"], state["shown"] = now, percent
            print(f"featurevis: {percent}%", file=sys.stderr, flush=True)

    try:
        result = visualise(loaded, layer, unit, settings, report=report)
    except (IndexError, RuntimeError) as exc:
        raise CliError(str(exc)) from exc
    from PIL import Image

    try:
        Image.fromarray(result.image).save(args.out)
    except OSError as exc:
        raise CliError(f"could not write {args.out}: {exc.strerror or exc}") from exc
    ratio = f" ({result.activation / result.noise_activation:.1f}× noise)" if result.noise_activation > 0 else ""
    line = (
        f"{what}: activation {result.activation:.3g} vs {result.noise_activation:.3g} on noise{ratio}, "
        f"{result.steps_done} steps in {result.seconds:.1f} s -> {args.out}"
    )
    if result.dead:
        line += "; dead unit: the image stayed flat or the activation never rose, so this unit may never fire."
    print(line)
    return 0


def unit_out_of_range(unit: int, count: int) -> bool:
    return unit < 0 or unit >= count


HANDLERS = {"featurevis": cmd_featurevis}
