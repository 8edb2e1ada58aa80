"""`dlviz predict`, `dlviz layers`, `dlviz activations`: one forward pass, read three ways."""

from __future__ import annotations

import json

from dlviz.cli.common import check_layer, load_image, load_model, model_options, out_path, save
from dlviz.core.errors import DlvizError


def add_parsers(commands) -> None:
    p = commands.add_parser("predict", help="the top classes for an image")
    p.add_argument("image")
    model_options(p)
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = commands.add_parser("layers", help="every layer with its type and output shape")
    model_options(p)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("activations", help="one layer's activation for an image, as .npy or a .png mosaic")
    p.add_argument("image")
    p.add_argument("--layer", required=True)
    p.add_argument("--out", required=True, help="FILE.npy (raw float32) or FILE.png (the grid)")
    model_options(p)


def cmd_predict(args) -> int:
    if args.top < 1:
        raise DlvizError("--top must be at least 1")
    rgb = load_image(args.image)
    loaded = load_model(args)
    from dlviz.core.activations import run

    forward = run(loaded, loaded.preprocess.to_tensor(rgb), layers=[])
    top = [{"index": i, "label": loaded.label(i), "prob": p} for i, p in forward.top(args.top)]
    if args.json:
        print(json.dumps({"model": loaded.name, "image": str(args.image), "top": top}))
    else:
        for row in top:
            print(f"{row['prob']:7.2%}  {row['label']}  ({row['index']})")
    return 0


def cmd_layers(args) -> int:
    loaded = load_model(args)
    rows = [{"name": i.name, "type": i.type, "shape": list(i.shape)} for i in loaded.layers]
    if not loaded.hookable:  # TorchScript: only the output can be recorded
        from dlviz.core.models import output_size

        rows = [{"name": "output", "type": "TorchScript output", "shape": [output_size(loaded.model, loaded.preprocess.crop)]}]
    from dlviz.core import devices

    if args.json:
        print(json.dumps({"model": loaded.name, "device": loaded.device.type, "device_name": devices.describe(loaded.device),
                          "layers": rows}))
    else:
        print(f"# {loaded.name} ({loaded.source}) on {devices.describe(loaded.device)}: {len(rows)} layers")
        width = max((len(r["name"]) for r in rows), default=10)
        for r in rows:
            print(f"{r['name']:<{width}}  {r['type']:<22} {'×'.join(map(str, r['shape']))}")
    return 0


def cmd_activations(args) -> int:
    out = out_path(args.out)
    rgb = load_image(args.image)
    loaded = load_model(args)
    if loaded.hookable:
        check_layer(loaded, args.layer)
    elif args.layer != "output":
        raise DlvizError(loaded.no_layer(args.layer))
    import numpy as np

    from dlviz.core.activations import run

    act = run(loaded, loaded.preprocess.to_tensor(rgb), layers=[args.layer] if loaded.hookable else []).activations[args.layer]
    if out.suffix.lower() == ".npy":
        save(out, lambda: np.save(out, act.astype(np.float32)))
    else:
        from PIL import Image

        from dlviz.core.mosaic import mosaic, upscale_nearest

        rgb_grid, _ = mosaic(act)
        factor = max(1, 768 // max(rgb_grid.shape[:2]))
        save(out, lambda: Image.fromarray(upscale_nearest(rgb_grid, factor)).save(out))
    print(f"{args.layer}: {'×'.join(map(str, act.shape))} -> {out}")
    return 0


HANDLERS = {"predict": cmd_predict, "layers": cmd_layers, "activations": cmd_activations}
