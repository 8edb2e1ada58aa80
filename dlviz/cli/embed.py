"""`dlviz embed INPUT --method pca|tsne|umap --out coords.tsv`: a 2-D or 3-D layout of points.

INPUT is a vector file (.tsv, .npy, .csv, GloVe/word2vec .txt/.vec, optionally .gz), a folder of
images (the model's pooled features at --layer), `classes` (the model's classifier rows) or
`glove` (the words extra). The output has a header row (x, y[, z], then the metadata columns)
and one row per point.
"""

from __future__ import annotations

from pathlib import Path

from dlviz.cli.common import StderrProgress, check_layer, load_model, model_options, out_folder, say
from dlviz.core import catalogue
from dlviz.core.errors import DlvizError
from dlviz.core.wording import how_many


def add_parsers(commands) -> None:
    p = commands.add_parser(
        "embed", help="a 2-D or 3-D layout (PCA, t-SNE, UMAP) of vectors, an image folder, the model's classes or GloVe words",
        description="INPUT: a vector file (.tsv .npy .csv .txt .vec .txt.gz .vec.gz), a folder of images, "
                    "'classes' (the model's classes) or 'glove' (needs pip install \"dlviz[words]\"). "
                    "--labels names the points of a vector file, or the classes of --model otherwise.")
    p.add_argument("input")
    p.add_argument("--method", choices=tuple(catalogue.EMBED_METHODS), default=catalogue.default(catalogue.EMBED_METHODS),
                   help=f"default {catalogue.default(catalogue.EMBED_METHODS)}")
    p.add_argument("--out", required=True, help="coords.tsv: header x, y[, z], metadata columns; one row per point")
    p.add_argument("--metadata", help="a projector metadata TSV for a vector file (header row when 2+ columns)")
    p.add_argument("--dims", type=int, choices=(2, 3), default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reproducible", action="store_true", help="same seed, same layout (UMAP then runs on one thread)")
    p.add_argument("--metric", choices=("euclidean", "cosine"), default="euclidean")
    p.add_argument("--perplexity", type=float, default=30.0, help="t-SNE (default 30)")
    p.add_argument("--neighbors", type=int, default=15, help="UMAP n_neighbors (default 15)")
    p.add_argument("--min-dist", type=float, default=0.1, help="UMAP (default 0.1)")
    p.add_argument("--iterations", type=int, help="optimisation steps (default: the method's own)")
    p.add_argument("--limit", type=int, help="only the first N points (word files: the N most frequent words)")
    p.add_argument("--sample", type=int, help="embed N points drawn at random (see --stratify)")
    p.add_argument("--stratify", metavar="COLUMN", help="with --sample: keep each value of this metadata column's share")
    p.add_argument("--layer", help="for an image folder: the layer whose pooled output is the feature (default: the classifier's input)")
    p.add_argument("--projector", metavar="DIR", help="also write DIR/tensors.tsv and DIR/metadata.tsv for TensorBoard's projector")
    model_options(p)


def _check_numbers(args) -> None:
    checks = (
        (args.perplexity > 0, f"--perplexity must be above 0, not {args.perplexity:g}"),
        (args.neighbors >= 2, f"--neighbors must be at least 2, not {args.neighbors}"),
        (args.min_dist >= 0, f"--min-dist must be 0 or more, not {args.min_dist:g}"),
        (args.iterations is None or args.iterations >= 1, f"--iterations must be at least 1, not {args.iterations}"),
        (args.limit is None or args.limit >= 1, f"--limit must be at least 1, not {args.limit}"),
        (args.sample is None or args.sample >= 1, f"--sample must be at least 1, not {args.sample}"),
        (args.stratify is None or args.sample is not None, "--stratify needs --sample N"),
    )
    for ok, message in checks:
        if not ok:
            raise DlvizError(message)


def _points(args):
    """The PointSet that INPUT names."""
    from dlviz.core import vectors

    source = Path(args.input)
    word = args.input.lower() if not source.exists() else None
    model_input = word == "classes" or source.is_dir()
    if args.metadata and (model_input or word == "glove"):
        raise DlvizError("--metadata is for vector files, not for an image folder, 'classes' or 'glove'")
    if args.layer and not source.is_dir():
        raise DlvizError("--layer is for an image folder")
    if word == "glove":
        return vectors.read_glove(args.limit)
    if word == "classes":
        from dlviz.core.features import class_points

        return class_points(load_model(args))
    if source.is_dir():
        from dlviz.core.features import folder_features

        loaded = load_model(args)
        if args.layer and loaded.hookable:
            check_layer(loaded, args.layer)
        with StderrProgress("features") as progress:
            points = folder_features(loaded, source, layer=args.layer, progress=progress)
        if points.skipped:
            names = ", ".join(Path(path).name for path, _ in points.skipped[:5])
            more = "" if len(points.skipped) <= 5 else f" and {len(points.skipped) - 5} more"
            say(f"skipped {len(points.skipped)} unreadable image(s): {names}{more}")
        return points
    if args.model or args.weights:
        raise DlvizError("--model and --weights are for an image folder or 'classes'")
    return vectors.read_points(source, metadata=args.metadata, labels=args.labels, limit=args.limit)


def _sampled(points, args):
    from dlviz.core import embedding

    n = len(points)
    if args.limit is not None and n > args.limit:
        points, n = points.subset(range(args.limit)), args.limit
    if args.sample is None or args.sample >= n:
        return points
    labels = None
    if args.stratify:
        if args.stratify not in points.meta:
            raise DlvizError(f"no metadata column '{args.stratify}'; the columns are: {', '.join(points.meta)}")
        labels = points.meta[args.stratify]
    chosen = embedding.sample(n, args.sample, labels=labels, seed=args.seed)
    how = f"stratified by {args.stratify}" if args.stratify else "at random"
    say(f"embedding {len(chosen):,} of {how_many(n, 'point')}, sampled {how}")
    return points.subset(chosen)


def cmd_embed(args):
    from dlviz.core import embedding, vectors

    class Line(StderrProgress, embedding.Control):
        """Progress on stderr that never pauses the run."""

    _check_numbers(args)
    with Line(args.method) as progress:
        points = _sampled(_points(args), args)
        if points.layout is not None:
            layout = points.layout
            say(f"{points.name or args.input} holds {layout.shape[1]}-d points: written as they are, without {args.method}")
        else:
            perplexity = embedding.effective_perplexity(args.perplexity, len(points))
            if args.method == "tsne" and perplexity < args.perplexity:
                say(f"perplexity {args.perplexity:g} is too large for {how_many(len(points), 'point')}: t-SNE uses {perplexity:.3g}")
            settings = embedding.Settings(
                method=args.method, dims=args.dims, seed=args.seed, reproducible=args.reproducible,
                metric=args.metric, perplexity=args.perplexity, iterations=args.iterations,
                n_neighbors=args.neighbors, min_dist=args.min_dist)
            layout = embedding.embed(points.vectors, settings, progress)
        out = Path(args.out)
        vectors.write_layout_tsv(out, layout, points)
        if args.projector:
            folder = out_folder(args.projector)
            vectors.write_projector(points, folder / "tensors.tsv", folder / "metadata.tsv")
    print(f"{how_many(len(points), 'point')}, {layout.shape[1]}-d -> {out}")
    return 0


HANDLERS = {"embed": cmd_embed}
