"""`dlviz cam` and `dlviz backprop`: class attention maps and input gradients from the command line."""

from __future__ import annotations

from pathlib import Path

COMMANDS = ("cam", "backprop")
_CAM_METHODS = ("gradcam", "gradcam++", "layercam", "scorecam")
_BACKPROP_METHODS = ("gradient", "guided", "deconv", "smoothgrad")
_FILTERS = ("raw", "grey", "norm", "norm-blur")


def add_parsers(commands, model_options) -> None:
    p = commands.add_parser("cam", help="a class attention map (Grad-CAM family) for an image, as .npy or a .png overlay")
    p.add_argument("image")
    p.add_argument("--method", default="gradcam", choices=_CAM_METHODS)
    p.add_argument("--class", dest="target", metavar="INDEX|NAME", help="class index or name (default: the top-1 class)")
    p.add_argument("--layer", help="a layer with a C×H×W output (default: the last convolutional stage)")
    p.add_argument("--out", required=True, help="FILE.npy (float32 map of the model input's size, in [0, 1]) or FILE.png (overlay)")
    model_options(p)

    p = commands.add_parser("backprop", help="the gradient of one unit at the input, as .npy or .png")
    p.add_argument("image")
    p.add_argument("--layer", required=True, help="a layer name, or 'output' for the class logits")
    p.add_argument("--unit", required=True, type=int)
    p.add_argument("--method", default="gradient", choices=_BACKPROP_METHODS)
    p.add_argument("--filter", default="raw", choices=_FILTERS, help="how a .png shows the gradient")
    p.add_argument("--out", required=True, help="FILE.npy (raw float32 3×H×W gradient) or FILE.png")
    model_options(p)


def _out_path(value: str) -> Path:
    from dlviz.cli import CliError

    out = Path(value)
    if out.suffix.lower() not in (".npy", ".png"):
        raise CliError(f"--out must end in .npy or .png, not '{out.suffix or out.name}'")
    if out.parent != Path("") and not out.parent.is_dir():
        raise CliError(f"the folder {out.parent} does not exist")
    return out


def _hookable(loaded) -> None:
    from dlviz.cli import CliError

    if not loaded.hookable:
        raise CliError(f"{loaded.name} is a TorchScript archive: its layers cannot be hooked, so it cannot be explained")


def _check_layer(loaded, name: str, maps_only: bool) -> None:
    from dlviz.cli import CliError

    names = loaded.layer_names
    if name not in names:
        close = [n for n in names if name in n][:3]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `dlviz layers`."
        raise CliError(f"the model has no layer '{name}'{hint}")
    if maps_only and loaded.layer(name).kind != "map":
        shape = "×".join(map(str, loaded.layer(name).shape))
        raise CliError(f"layer '{name}' outputs {shape}, not a C×H×W map: pick a convolutional layer")


def class_index(loaded, target: str | None, probs) -> int:
    """INDEX, or a class name matched case-insensitively (exactly, else as a unique part)."""
    import numpy as np

    from dlviz.cli import CliError

    count = len(probs)
    if target is None:
        return int(np.argmax(probs))
    text = target.strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        if not 0 <= index < count:
            raise CliError(f"--class {index} is outside 0..{count - 1}")
        return index
    if not loaded.labels:
        raise CliError(f"{loaded.name} has no class names: give --class as an index 0..{count - 1}")
    wanted = text.casefold()
    exact = [i for i, label in enumerate(loaded.labels) if label.casefold() == wanted]
    if exact:
        return exact[0]
    partial = [i for i, label in enumerate(loaded.labels) if wanted in label.casefold()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        some = ", ".join(f"'{loaded.labels[i]}'" for i in partial[:4])
        raise CliError(f"--class '{target}' matches several classes ({some}{', ...' if len(partial) > 4 else ''}); be more precise")
    raise CliError(f"the model has no class named '{target}'")


def overlay(crop, heat, opacity: float = 0.5):
    """The map coloured with the 'ember' colour map, blended over the uint8 crop."""
    import numpy as np

    from dlviz.core.mosaic import colormap_lut

    lut = colormap_lut("ember")
    colour = lut[np.clip(np.rint(heat * 255), 0, 255).astype(np.uint8)].astype(np.float32)
    blended = crop.astype(np.float32) * (1 - opacity) + colour * opacity
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def _save(out: Path, write) -> None:
    from dlviz.cli import CliError

    try:
        write()
    except OSError as exc:
        raise CliError(f"could not write {out}: {exc.strerror or exc}") from exc


def _stderr_progress():
    import sys

    def report(fraction, text):
        sys.stderr.write(f"\r{text} ({fraction:.0%})   ")
        if fraction >= 1:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def cmd_cam(args) -> int:
    from dlviz.cli import _image, _load

    out = _out_path(args.out)
    rgb = _image(args.image)
    loaded = _load(args)
    _hookable(loaded)
    import numpy as np

    from dlviz.core import attribution
    from dlviz.core.activations import run

    layer = args.layer or attribution.default_cam_layer(loaded)
    _check_layer(loaded, layer, maps_only=True)
    crop = loaded.preprocess.crop_rgb(rgb)
    x = loaded.preprocess.normalise(crop)
    probs = run(loaded, x, layers=[]).probs
    index = class_index(loaded, args.target, probs)
    report = _stderr_progress() if args.method == "scorecam" else None
    heat = attribution.cam(loaded.model, x, layer, index, args.method, report=report)
    if out.suffix.lower() == ".npy":
        _save(out, lambda: np.save(out, heat.astype(np.float32)))
    else:
        from PIL import Image

        _save(out, lambda: Image.fromarray(overlay(crop, heat)).save(out))
    y, x_peak = np.unravel_index(int(np.argmax(heat)), heat.shape)
    print(
        f"{args.method} for {loaded.label(index)} ({index}, p={probs[index]:.1%}) at {layer}: "
        f"{heat.shape[0]}×{heat.shape[1]}, peak at row {y} col {x_peak} -> {out}"
    )
    return 0


def cmd_backprop(args) -> int:
    from dlviz.cli import CliError, _image, _load

    out = _out_path(args.out)
    rgb = _image(args.image)
    loaded = _load(args)
    _hookable(loaded)
    import numpy as np

    from dlviz.core import attribution
    from dlviz.core.models import output_size

    if args.layer == "output":
        layer, units = None, output_size(loaded.model, loaded.preprocess.crop)
    else:
        _check_layer(loaded, args.layer, maps_only=False)
        info = loaded.layer(args.layer)
        if info.kind == "other":
            raise CliError(f"layer '{args.layer}' outputs {'×'.join(map(str, info.shape))}: pick a layer with units")
        layer, units = args.layer, info.shape[0]
    if not 0 <= args.unit < units:
        raise CliError(f"--unit {args.unit} is outside 0..{units - 1} for {args.layer}")
    x = loaded.preprocess.to_tensor(rgb)
    report = _stderr_progress() if args.method == "smoothgrad" else None
    grad = attribution.backprop(loaded.model, x, layer, args.unit, args.method, report=report)
    if out.suffix.lower() == ".npy":
        _save(out, lambda: np.save(out, grad.astype(np.float32)))
    else:
        from PIL import Image

        image = np.clip(np.rint(attribution.display(grad, args.filter) * 255), 0, 255).astype(np.uint8)
        _save(out, lambda: Image.fromarray(image).save(out))
    print(
        f"{'gradient' if args.method == 'gradient' else args.method + ' backprop'} of {args.layer} unit {args.unit}: {'×'.join(map(str, grad.shape))}, "
        f"max |g| {float(np.abs(grad).max()):.3g} -> {out}"
    )
    return 0


HANDLERS = {"cam": cmd_cam, "backprop": cmd_backprop}
