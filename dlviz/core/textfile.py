"""Text files of numbers read as they come: a chunk at a time, parsed into float32 blocks, with
progress, a stop check per chunk and one-sentence errors that name the line. Used by the vector
readers (`dlviz.core.vectors`); no Qt here.
"""

from __future__ import annotations

import gzip
import re
import time
import zlib
from pathlib import Path

import numpy as np

from dlviz import runtime
from dlviz.core.errors import VectorError
from dlviz.core.progress import Progress, given

CHUNK_BYTES = 1 << 16
"""Bytes read at a time: each read is followed by a stop check and a progress report. Its split
into lines is one call that holds the GIL (0.4 ms for 64 KB; 1.5 ms for 256 KB)."""
LONGEST_LINE = 64 << 20
"""A 'line' longer than this is not a row of numbers: the file is refused rather than held whole."""
REPORT_S = 0.1
"""At most ten progress reports a second; the stop is checked at every chunk all the same."""
BLOCK_CELLS = 5_000
"""Cells parsed into floats at a time: one call that holds the GIL, about 1 ms (20,000 took 3.7 ms,
and the window, which needs the GIL for each event it hands to Python, waited that long each
time: 300-900 ms gaps while it redrew at the start of a 400k-row read)."""


_BREAK = re.compile(r"\r\n|\r|\n")  # line breaks as Python's universal newlines read them


def text_lines(path: Path, progress: Progress | None = None, *, errors: str = "strict"):
    """(line number, line) for each line of a UTF-8 text file (gzip-compressed if its name ends in
    .gz), the line without its line break (\\n, \\r\\n or \\r), read a chunk at a time: memory
    holds one chunk and the line it ends in, a stop raises `Cancelled` within a chunk, and progress
    says how many megabytes are read. A file with NUL bytes in its first chunk is binary, not
    text, and refused at once in one sentence (UTF-16 text is named as such).

    The reading runs under `runtime.short_turns`: it lets go of the GIL at each read and takes it
    back, which without it kept the GUI thread from the GIL for up to seconds. (A job that reads
    should enter it before it starts, as the explorer's `read_source` does: see there.)"""
    with runtime.short_turns():
        yield from _lines(path, given(progress), errors)


def _lines(path: Path, progress: Progress, errors: str):
    name = path.name
    size = max(1, path.stat().st_size)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise VectorError(f"{name} cannot be read ({exc.strerror or exc}).") from exc
    stream = gzip.GzipFile(fileobj=raw, mode="rb") if name.lower().endswith(".gz") else raw
    number, pending, pending_bytes, first, reported = 0, [], 0, True, 0.0
    try:
        while True:
            progress.check()
            block = stream.read(CHUNK_BYTES)
            if first:
                if block[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    raise VectorError(f"{name} is UTF-16 text; save it as UTF-8 and open it again.")
                if b"\x00" in block:
                    raise VectorError(f"{name} is not a text file (it holds binary data), so it holds no vectors dlviz can read.")
                block = block.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark some editors write
                first = False
            if not block:
                break
            # The last line break in the block; a \r at its very end may be half of a \r\n. (A UTF-8
            # character never holds the byte of a line break, so the cut never splits one.)
            end = len(block) - 1 if block.endswith(b"\r") else len(block)
            last = max(block.rfind(b"\n", 0, end), block.rfind(b"\r", 0, end))
            if last < 0:
                pending.append(block)
                pending_bytes += len(block)
                if pending_bytes > LONGEST_LINE:
                    raise VectorError(f"{name} has a line over {LONGEST_LINE >> 20} MB long: it is not a file of vectors.")
                continue
            pending.append(block[: last + 1])
            text = b"".join(pending).decode("utf-8", errors)
            pending, pending_bytes = [block[last + 1:]], len(block) - last - 1
            for line in _BREAK.split(text)[:-1]:  # the text ends in a break: its last piece is empty
                number += 1
                yield number, line
            now = time.perf_counter()
            if now - reported >= REPORT_S:  # each report repaints a progress bar on the GUI thread
                reported, done = now, raw.tell()
                progress.report(min(1.0, done / size), f"read {done / 1e6:,.0f} of {size / 1e6:,.0f} MB")
        lines = _BREAK.split(b"".join(pending).decode("utf-8", errors))
        for line in lines[:-1] if lines[-1] == "" else lines:
            number += 1
            yield number, line
    except UnicodeDecodeError:
        raise VectorError(f"{name} is not UTF-8 text.") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise VectorError(f"{name} is not a complete gzip file.") from exc
    except OSError as exc:
        if "CRC" in str(exc):
            raise VectorError(f"{name} is not a complete gzip file.") from exc
        raise VectorError(f"{name} cannot be read ({exc.strerror or exc}).") from exc
    finally:
        stream.close()
        raw.close()


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def floats(rows: list[list[str]], lines: list[int], name: str, columns: list[int] | None = None) -> np.ndarray:
    """Cells as float32 (n, d); a non-number or a NaN/inf is reported with its line."""
    try:
        array = np.array(rows, dtype=np.float32)
    except ValueError:
        for cells, line in zip(rows, lines):
            for j, cell in enumerate(cells):
                if not is_number(cell):
                    where = f"line {line}" + (f", column {columns[j] + 1}" if columns else "")
                    raise VectorError(f"{name}, {where}: '{short(cell)}' is not a number.") from None
        raise VectorError(f"{name} holds values that are not numbers.") from None
    check_finite(array, name, lines)
    return array


class Rows:
    """Rows of cells gathered as they are read: the numeric columns parsed into float32 blocks of
    about `BLOCK_CELLS` cells, the others kept as text. `finish()` joins the blocks, so memory
    peaks at about twice the parsed array."""

    def __init__(self, name: str, numeric: list[int], width: int, name_columns: bool = True):
        """`name_columns`: say the column of a bad value (a table's), or only its line (a word file's,
        whose first field is the word)."""
        self.name, self.numeric, self.width = name, numeric, width
        self.columns = numeric if name_columns else None
        self.text_columns = [j for j in range(width) if j not in set(numeric)]
        self.block_rows = max(16, BLOCK_CELLS // max(1, len(numeric)))
        self.blocks: list[np.ndarray] = []
        self.texts: list[list[str]] = [[] for _ in self.text_columns]
        self.cells: list[list[str]] = []
        self.lines: list[int] = []

    def add(self, line: int, cells: list[str]) -> None:
        numeric = self.numeric
        self.cells.append(cells if len(numeric) == self.width else [cells[j] for j in numeric])
        self.lines.append(line)
        for column, j in zip(self.texts, self.text_columns):
            column.append(cells[j])
        if len(self.cells) >= self.block_rows:
            self._parse()

    def _parse(self) -> None:
        if self.cells:
            self.blocks.append(floats(self.cells, self.lines, self.name, self.columns))
            self.cells, self.lines = [], []

    def finish(self) -> tuple[np.ndarray, list[list[str]]]:
        self._parse()
        vectors = self.blocks[0] if len(self.blocks) == 1 else np.concatenate(self.blocks)
        self.blocks = []
        return vectors, self.texts


def check_finite(array: np.ndarray, name: str, lines: list[int] | None = None, offset: int = 0) -> None:
    finite = np.isfinite(array)
    if not finite.all():
        row = int(np.nonzero(~finite.all(axis=1))[0][0])
        value = array[row][~finite[row]][0]
        where = f"line {lines[row]}" if lines else f"row {offset + row}"
        raise VectorError(f"{name}, {where}: the value {value} is not a finite number.")


def short(text: str, size: int = 30) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
