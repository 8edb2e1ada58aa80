"""`dlviz topimages FOLDER --layer NAME --out DIR [--k 9]`: each unit's best images, as crops."""

from __future__ import annotations

import json
import sys
from pathlib import Path

COMMANDS = ("topimages",)


def add_parsers(commands, model_options):
    p = commands.add_parser("topimages", help="for every unit of a layer, the images of a folder that excite it most")
    p.add_argument("folder")
    p.add_argument("--layer", required=True)
    p.add_argument("--out", required=True, help="a folder for the crops and index.json")
    p.add_argument("--k", type=int, default=9, help="images per unit (default 9)")
    p.add_argument("--units", help="only these units, e.g. 0-15,42 (default: all)")
    model_options(p)


def _units(text, count):
    from dlviz.cli import CliError

    if not text:
        return list(range(count))
    chosen = []
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            chosen.extend(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise CliError(f"--units must look like 0-15,42, not '{text}'") from None
    bad = [u for u in chosen if not 0 <= u < count]
    if bad:
        raise CliError(f"unit {bad[0]} does not exist: the layer has units 0 to {count - 1}")
    return chosen


def cmd_topimages(args):
    from PIL import Image

    from dlviz.cli import CliError, _load
    from dlviz.core import topimages
    from dlviz.core.images import load_image

    if args.k < 1:
        raise CliError("--k must be at least 1")
    loaded = _load(args)
    if args.layer not in loaded.layer_names:
        raise CliError(f"the model has no layer '{args.layer}'; see `dlviz layers`")
    units = _units(args.units, loaded.layer(args.layer).shape[0])
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"could not create {out}: {exc.strerror or exc}") from exc

    def progress(fraction, text):
        sys.stderr.write(f"\rscanning: {text}   ")
        sys.stderr.flush()

    from dlviz.app import _user_dir

    result = topimages.scan(loaded, args.folder, args.layer, args.k, cache_dir=_user_dir() / "topimages", report=progress)
    sys.stderr.write("\n")
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
