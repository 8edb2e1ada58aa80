"""`dlviz topimages FOLDER --layer NAME --out DIR [--k 9]`: each unit's best images, as crops."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dlviz import paths
from dlviz.cli.common import StderrProgress, check_layer, load_model, model_options, out_folder
from dlviz.core.errors import DlvizError


def add_parsers(commands) -> None:
    p = commands.add_parser("topimages", help="for every unit of a layer, the images of a folder that excite it most")
    p.add_argument("folder")
    p.add_argument("--layer", required=True)
    p.add_argument("--out", required=True, help="a folder for the crops and index.json")
    p.add_argument("--k", type=int, default=9, help="images per unit (default 9)")
    p.add_argument("--units", help="only these units, e.g. 0-15,42 (default: all)")
    model_options(p)


def units_in(text, count) -> list[int]:
    """The units that `--units` names ("0-15,42"), or all of them."""
    if not text:
        return list(range(count))
    chosen = []
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            chosen.extend(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise DlvizError(f"--units must look like 0-15,42, not '{text}'") from None
    bad = [u for u in chosen if not 0 <= u < count]
    if bad:
        raise DlvizError(f"unit {bad[0]} does not exist: the layer has units 0 to {count - 1}")
    return chosen


def cmd_topimages(args) -> int:
    from PIL import Image

    from dlviz.core import topimages
    from dlviz.core.images import load_image

    if args.k < 1:
        raise DlvizError("--k must be at least 1")
    loaded = load_model(args)
    check_layer(loaded, args.layer)
    units = units_in(args.units, loaded.layer(args.layer).shape[0])
    out = out_folder(args.out)
    with StderrProgress("scanning") as progress:
        result = topimages.scan(loaded, args.folder, args.layer, args.k, cache_dir=paths.cache_dir("topimages"),
                                progress=progress)
    if result.note:
        print(f"note: {result.note}", file=sys.stderr)
    field = topimages.receptive_field(loaded.model, args.layer, loaded.preprocess.crop, effective=0.9)
    crops = {}
    index = {"model": loaded.name, "layer": args.layer, "folder": str(Path(args.folder).resolve()),
             "receptive_field_px": field, "skipped": result.skipped, "units": {}}
    for unit in units:
        rows = []
        for rank, (name, value, position) in enumerate(result.best(unit)):
            if name not in crops:
                crops[name] = loaded.preprocess.crop_rgb(load_image(Path(args.folder) / name))
            piece = topimages.crop_around(crops[name], position, result.map_size, field)
            file = f"unit{unit:04d}_{rank + 1}.png"
            Image.fromarray(piece).save(out / file)
            rows.append({"rank": rank + 1, "image": name, "activation": value, "position": list(position), "crop": file})
        index["units"][str(unit)] = rows
    (out / "index.json").write_text(json.dumps(index, indent=1))
    print(f"{len(units)} units × up to {args.k} images from {len(result.files)} files -> {out}")
    return 0


HANDLERS = {"topimages": cmd_topimages}
