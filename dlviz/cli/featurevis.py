"""`dlviz featurevis`: the image a unit (or a class) likes most, written as a PNG."""

from __future__ import annotations

from dlviz.cli.common import StderrProgress, check_layer, load_model, model_options, out_path, save
from dlviz.core.errors import DlvizError


def add_parsers(commands) -> None:
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
    out_path(args.out, (".png",))
    if args.class_index is not None:
        if args.layer not in (None, "output") or args.unit is not None:
            raise DlvizError("give either --class INDEX or --layer NAME --unit N, not both")
        if args.class_index < 0:
            raise DlvizError("--class must be at least 0")
    else:
        if args.layer is None or args.unit is None:
            raise DlvizError("give --layer NAME and --unit N (or --class INDEX)")
        if args.unit < 0:
            raise DlvizError("--unit must be at least 0")
    if args.steps < 1:
        raise DlvizError("--steps must be at least 1")
    if not 16 <= args.size <= 1024:
        raise DlvizError("--size must lie between 16 and 1024 pixels")


def _target(args, loaded) -> tuple[str | None, int, str, str]:
    """(layer, unit, objective kind, what it is in words) for the arguments."""
    if args.class_index is not None or args.layer == "output":
        from dlviz.core.models import output_size

        unit = args.class_index if args.class_index is not None else args.unit
        outputs = output_size(loaded.model, loaded.preprocess.crop)
        if not 0 <= unit < outputs:
            raise DlvizError(f"the model has {outputs} classes (0 to {outputs - 1}); there is no class {unit}")
        return None, unit, "class", f"class {unit} ({loaded.label(unit)})"
    if not loaded.hookable:
        raise DlvizError(f"{loaded.name} cannot be hooked (TorchScript): only --layer output or --class works")
    check_layer(loaded, args.layer)
    info = loaded.layer(args.layer)
    units = info.shape[0] if info.shape else 1
    if not 0 <= args.unit < units:
        raise DlvizError(f"layer '{args.layer}' has {units} units (0 to {units - 1}); there is no unit {args.unit}")
    return args.layer, args.unit, "neuron" if args.neuron else "channel", f"{args.layer} unit {args.unit}"


def cmd_featurevis(args) -> int:
    _check(args)
    loaded = load_model(args)
    layer, unit, kind, what = _target(args, loaded)
    from dlviz.core.featurevis import Settings, visualise

    settings = Settings(kind=kind, steps=args.steps, size=args.size, seed=args.seed)
    with StderrProgress("featurevis") as progress:
        try:
            result = visualise(loaded, layer, unit, settings, progress)
        except (IndexError, RuntimeError) as exc:
            raise DlvizError(str(exc)) from exc
    from PIL import Image

    save(args.out, lambda: Image.fromarray(result.image).save(args.out))
    ratio = f" ({result.activation / result.noise_activation:.1f}× noise)" if result.noise_activation > 0 else ""
    line = (
        f"{what}: activation {result.activation:.3g} vs {result.noise_activation:.3g} on noise{ratio}, "
        f"{result.steps_done} steps in {result.seconds:.1f} s -> {args.out}"
    )
    if result.restart_step:
        line += f"; {result.restart_text()}"
    if result.dead:
        line += f"; dead unit: {result.why_dead()}."
    elif result.constant:
        line += f"; {result.constant_text()}."
    print(line)
    return 0


HANDLERS = {"featurevis": cmd_featurevis}
