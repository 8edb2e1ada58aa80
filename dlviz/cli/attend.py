"""`dlviz attend`: where the network looks, and what it sees when it refocuses there.

The whole image is letterboxed into the model's input; the box around the attended region of the
class attention map is cut from the ORIGINAL image at full resolution, classified, and attended
again inside, up to K times (see dlviz.core.glimpse).
"""

from __future__ import annotations


from dlviz.cli.common import (
    StderrProgress, check_folder, check_layer, class_index, hookable, load_image, load_model, model_options, out_folder, save,
)
from dlviz.core import catalogue
from dlviz.core.errors import DlvizError


def add_parsers(commands) -> None:
    p = commands.add_parser("attend", help="attend, crop from the original and look again: boxes and top-5 per glimpse")
    p.add_argument("image")
    p.add_argument("--glimpses", type=int, default=3, metavar="K", help="how many glimpses at most (default 3)")
    p.add_argument("--method", default="gradcam", choices=tuple(catalogue.CAM_METHODS))
    p.add_argument("--class", dest="target", metavar="INDEX|NAME",
                   help="the class whose map places the boxes (default: each view's own top-1 class)")
    p.add_argument("--layer", help="a layer with a C×H×W output (default: the last convolutional stage)")
    p.add_argument("--first-map", choices=("activity", "class"),
                   help="what places the first box: where the layer fires, any class (the default), "
                        "or the class map (the default with --class)")
    p.add_argument("--map-scale", type=int, choices=(1, 2, 3), metavar="N",
                   help="compute every map on the view at N × the input size (default: 2 for the whole image, 1 after)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", metavar="DIR", help="write glimpse-1.png, ... (the crops) and path.png (the boxes on the image)")
    model_options(p)


def _top(loaded, glimpse) -> list[dict]:
    return [{"index": i, "label": loaded.label(i), "prob": p} for i, p in glimpse.top]


def _int_box(box) -> list[int]:
    """Whole pixels that contain the box: floor the start, ceil the end."""
    import math

    x0, y0, x1, y1 = box
    return [math.floor(x0 + 1e-6), math.floor(y0 + 1e-6), math.ceil(x1 - 1e-6), math.ceil(y1 - 1e-6)]


def draw_path(rgb, steps):
    """The original with each glimpse's box and its numbered fixation point, joined in order."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(rgb).convert("RGB")
    draw = ImageDraw.Draw(image)
    side = max(image.size)
    width = max(2, round(side / 300))
    radius = max(6, round(side / 70))
    try:
        font = ImageFont.load_default(size=int(radius * 1.4))
    except TypeError:  # Pillow without scalable default font
        font = ImageFont.load_default()
    colours = ((255, 200, 0), (255, 110, 40), (230, 40, 90), (150, 60, 220), (40, 140, 255))
    points = [g.fixation for g in steps]
    if len(points) > 1:
        draw.line(points, fill=(255, 255, 255), width=width)
    for n, glimpse in enumerate(steps, start=1):
        colour = colours[(n - 1) % len(colours)]
        draw.rectangle(glimpse.box, outline=colour, width=width)
        x, y = glimpse.fixation
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour, outline=(0, 0, 0))
        draw.text((x, y), str(n), fill=(0, 0, 0), font=font, anchor="mm")
    return image


def cmd_attend(args) -> int:
    if args.glimpses < 1:
        raise DlvizError(f"--glimpses must be at least 1, not {args.glimpses}")
    if args.out:
        check_folder(args.out)
    rgb = load_image(args.image)
    loaded = load_model(args)
    hookable(loaded)
    import json

    import numpy as np

    from dlviz.core import glimpse as gl
    from dlviz.core.attribution import default_cam_layer

    layer = args.layer or default_cam_layer(loaded)
    check_layer(loaded, layer, maps_only=True)
    target = None
    if args.target is not None:
        target = class_index(loaded, args.target, np.zeros(len(loaded.labels) if loaded.labels else _classes(loaded)))
    with StderrProgress("Score-CAM", shown=args.method == "scorecam") as progress:
        full, steps = gl.glimpses(loaded, rgb, args.glimpses, method=args.method, layer=layer, class_index=target,
                                  map_scale=args.map_scale or (2, 1), first_map=args.first_map, progress=progress)
    out = out_folder(args.out) if args.out else None
    if out is not None:
        from PIL import Image

        for n, glimpse in enumerate(steps, start=1):
            path = out / f"glimpse-{n}.png"
            save(path, lambda p=path, g=glimpse: Image.fromarray(g.crop).save(p))
        path = out / "path.png"
        save(path, lambda: draw_path(rgb, steps).save(path))
    if args.json:
        print(json.dumps({
            "image": str(args.image),
            "full": {"top": _top(loaded, full)},
            "glimpses": [{"box": _int_box(g.box), "top": _top(loaded, g)} for g in steps],
        }))
        return 0
    height, width = rgb.shape[:2]
    print(f"{args.image}: {width}×{height}, {args.method} at {layer}")
    rows = [("full", [0, 0, width, height], full)] + [(str(n), _int_box(g.box), g) for n, g in enumerate(steps, start=1)]
    for name, box, glimpse in rows:
        best = ", ".join(f"{loaded.label(i)} {p:.1%}" for i, p in glimpse.top[:3])
        print(f"{name:>4}  [{box[0]:5d} {box[1]:5d} {box[2]:5d} {box[3]:5d}]  {best}")
    if len(steps) < args.glimpses:
        print(f"(stopped after {len(steps)} glimpse{'s' if len(steps) != 1 else ''}: the box stopped shrinking)")
    if out is not None:
        print(f"crops and path.png -> {out}")
    return 0


def _classes(loaded) -> int:
    from dlviz.core.models import output_size

    return output_size(loaded.model, loaded.preprocess.crop)


HANDLERS = {"attend": cmd_attend}
