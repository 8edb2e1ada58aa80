"""`dlviz cam` and `dlviz backprop`: class attention maps and input gradients from the command line."""

from __future__ import annotations


from dlviz.cli.common import (
    StderrProgress, check_layer, class_index, hookable, load_image, load_model, model_options, out_path, save,
)
from dlviz.core import catalogue
from dlviz.core.errors import DlvizError


def add_parsers(commands) -> None:
    p = commands.add_parser("cam", help="a class attention map (Grad-CAM family) for an image, as .npy or a .png overlay")
    p.add_argument("image")
    p.add_argument("--method", default="gradcam", choices=tuple(catalogue.CAM_METHODS))
    p.add_argument("--class", dest="target", metavar="INDEX|NAME", help="class index or name (default: the top-1 class)")
    p.add_argument("--layer", help="a layer with a C×H×W output (default: the last convolutional stage)")
    p.add_argument("--out", required=True, help="FILE.npy (float32 map of the model input's size, in [0, 1]) or FILE.png (overlay)")
    model_options(p)

    p = commands.add_parser("backprop", help="the gradient of one unit at the input, as .npy or .png")
    p.add_argument("image")
    p.add_argument("--layer", required=True, help="a layer name, or 'output' for the class logits")
    p.add_argument("--unit", required=True, type=int)
    p.add_argument("--method", default="gradient", choices=tuple(catalogue.BACKPROP_METHODS))
    p.add_argument("--filter", default="raw", choices=tuple(catalogue.FILTERS), help="how a .png shows the gradient")
    p.add_argument("--out", required=True, help="FILE.npy (raw float32 3×H×W gradient) or FILE.png")
    model_options(p)


def overlay(crop, heat, opacity: float = 0.5):
    """The map coloured with the 'ember' colour map, blended over the uint8 crop."""
    import numpy as np

    from dlviz.core.mosaic import colormap_lut

    lut = colormap_lut("ember")
    colour = lut[np.clip(np.rint(heat * 255), 0, 255).astype(np.uint8)].astype(np.float32)
    blended = crop.astype(np.float32) * (1 - opacity) + colour * opacity
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def cmd_cam(args) -> int:
    out = out_path(args.out)
    rgb = load_image(args.image)
    loaded = load_model(args)
    hookable(loaded)
    import numpy as np

    from dlviz.core import attribution
    from dlviz.core.activations import run

    layer = args.layer or attribution.default_cam_layer(loaded)
    check_layer(loaded, layer, maps_only=True)
    crop = loaded.preprocess.crop_rgb(rgb)
    x = loaded.preprocess.normalise(crop)
    probs = run(loaded, x, layers=[]).probs
    index = class_index(loaded, args.target, probs)
    with StderrProgress("Score-CAM", shown=args.method == "scorecam") as progress:
        heat = attribution.cam(loaded.model, x, layer, index, args.method, progress=progress)
    if out.suffix.lower() == ".npy":
        save(out, lambda: np.save(out, heat.astype(np.float32)))
    else:
        from PIL import Image

        save(out, lambda: Image.fromarray(overlay(crop, heat)).save(out))
    y, x_peak = np.unravel_index(int(np.argmax(heat)), heat.shape)
    print(
        f"{args.method} for {loaded.label(index)} ({index}, p={probs[index]:.1%}) at {layer}: "
        f"{heat.shape[0]}×{heat.shape[1]}, peak at row {y} col {x_peak} -> {out}"
    )
    return 0


def cmd_backprop(args) -> int:
    out = out_path(args.out)
    rgb = load_image(args.image)
    loaded = load_model(args)
    hookable(loaded)
    import numpy as np

    from dlviz.core import attribution
    from dlviz.core.models import output_size

    if args.layer == "output":
        layer, units = None, output_size(loaded.model, loaded.preprocess.crop)
    else:
        check_layer(loaded, args.layer)
        info = loaded.layer(args.layer)
        if info.kind == "other":
            raise DlvizError(f"layer '{args.layer}' outputs {'×'.join(map(str, info.shape))}: pick a layer with units")
        layer, units = args.layer, info.shape[0]
    if not 0 <= args.unit < units:
        raise DlvizError(f"--unit {args.unit} is outside 0..{units - 1} for {args.layer}")
    x = loaded.preprocess.to_tensor(rgb)
    with StderrProgress("SmoothGrad", shown=args.method == "smoothgrad") as progress:
        grad = attribution.backprop(loaded.model, x, layer, args.unit, args.method, progress=progress)
    if out.suffix.lower() == ".npy":
        save(out, lambda: np.save(out, grad.astype(np.float32)))
    else:
        from PIL import Image

        image = np.clip(np.rint(attribution.display(grad, args.filter) * 255), 0, 255).astype(np.uint8)
        save(out, lambda: Image.fromarray(image).save(out))
    print(
        f"{'gradient' if args.method == 'gradient' else args.method + ' backprop'} of {args.layer} unit {args.unit}: {'×'.join(map(str, grad.shape))}, "
        f"max |g| {float(np.abs(grad).max()):.3g} -> {out}"
    )
    return 0


HANDLERS = {"cam": cmd_cam, "backprop": cmd_backprop}
