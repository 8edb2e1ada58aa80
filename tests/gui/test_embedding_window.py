"""The embedding explorer window: sources, runs that animate, pause and stop, and exploring."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from dlviz.core.embedding import nearest
from dlviz.core.vectors import make_points


@pytest.fixture
def explorer(qtbot, bundled, tmp_path):
    from dlviz.gui.explorer.window import EmbeddingWindow

    window = EmbeddingWindow(bundled, cache_dir=tmp_path / "cache")
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    yield window
    window.close()
    assert not window.runner._worker.isRunning(), "the explorer's worker QThread was left running"


def finished(window, qtbot, kind, timeout=60_000):
    return qtbot.waitSignal(window.runner.finished, timeout=timeout, check_params_cb=lambda k, r: k == kind)


def drawn(view) -> int:
    x, _ = view.scatter.getData()
    return 0 if x is None else len(x)


def clusters(n, d=20, k=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (k, d))
    group = rng.integers(0, k, n)
    vectors = (centres[group] + rng.normal(0, 1, (n, d))).astype(np.float32)
    meta = {"label": np.array([f"p{i}" for i in range(n)], object), "group": np.array([f"g{g}" for g in group], object)}
    return make_points(vectors, meta, "label", name="clusters")


@pytest.fixture
def laid_out(explorer, qtbot):
    """The bundled model's classes, laid out by PCA."""
    with finished(explorer, qtbot, "source"):
        explorer.load_classes()
    explorer.method.setCurrentIndex(explorer.method.findData("pca"))
    with qtbot.waitSignal(explorer.layout_shown, timeout=30_000):
        explorer.run()
    return explorer


def test_loading_a_source_shows_its_size_and_computes_nothing(explorer, qtbot):
    with finished(explorer, qtbot, "source"):
        explorer.load_classes()
    assert explorer.source_info.text().startswith("1,000 points, ")
    assert "press Run" in explorer.header.text()
    assert explorer.coords is None and drawn(explorer.view) == 0
    qtbot.wait(200)
    assert explorer.runner.running_kind() != "embed" and explorer._partials == 0


def test_run_animates_then_shows_the_finished_layout(explorer, qtbot):
    with finished(explorer, qtbot, "source"):
        explorer.load_classes()
    explorer.method.setCurrentIndex(explorer.method.findData("umap"))
    explorer.umap_iterations.setValue(150)
    partials = []
    explorer.runner.partial.connect(lambda kind, p: kind == "embed" and partials.append(p.shape))
    with finished(explorer, qtbot, "embed", timeout=90_000) as blocker:
        explorer.run()
    result = blocker.args[1]
    assert len(partials) >= 2 and partials[0] == (1000, 2)
    assert drawn(explorer.view) == 1000
    np.testing.assert_allclose(explorer.view.pos, result.layout)
    assert "1,000 points in" in explorer.iteration.text()


def test_pause_holds_resume_continues_and_stop_is_quick(explorer, qtbot):
    explorer.set_points(clusters(20_000, d=30))
    explorer.method.setCurrentIndex(explorer.method.findData("tsne"))
    explorer.tsne_iterations.setValue(5000)
    count = []
    explorer.runner.partial.connect(lambda kind, p: kind == "embed" and count.append(1))
    explorer.run()
    qtbot.waitUntil(lambda: len(count) >= 3, timeout=90_000)

    explorer.pause_button.click()
    assert explorer.pause_button.text() == "Resume"
    qtbot.wait(400)  # a report already on its way may still land
    held = len(count)
    qtbot.wait(800)
    assert len(count) == held, "the layout kept moving while paused"

    explorer.pause_button.click()
    qtbot.waitUntil(lambda: len(count) > held, timeout=10_000)

    began = time.perf_counter()
    explorer.stop_button.click()
    qtbot.waitUntil(lambda: explorer.runner.running_kind() is None, timeout=5_000)
    assert time.perf_counter() - began < 0.5
    assert explorer.coords is not None and drawn(explorer.view) == 20_000  # the layout so far stays


def test_search_highlights_exactly_the_matches(laid_out):
    window = laid_out
    labels = window.current.labels().astype(str)
    window.search.setText("dog")
    expected = [i for i, label in enumerate(labels) if "dog" in label.lower()]
    assert window.view.marked.tolist() == expected
    assert window.matches.text() == f"{len(expected)} matches"
    window.regex.setChecked(True)
    window.search.setText("^great")
    assert window.view.marked.tolist() == [i for i, label in enumerate(labels) if label.lower().startswith("great")]
    window.search.setText("(")
    assert "not a regular expression" in window.matches.text()


def test_click_lists_the_nearest_neighbours_in_the_original_space(laid_out, qtbot):
    window = laid_out
    window.k.setValue(7)
    window.view.clicked.emit(207)
    expected, _ = nearest(window.current.vectors, 207, 7, "cosine")
    assert window.neighbour_indices() == expected.tolist()
    assert window.view.current == 207 and window.view.neighbours.tolist() == expected.tolist()
    # A click on a list entry makes that point the current one.
    window._neighbour_clicked(window.neighbour_list.item(2))
    assert window.view.current == expected[1]


def test_colour_select_isolate_and_export(explorer, qtbot, tmp_path):
    explorer.set_points(clusters(1_500))
    explorer.method.setCurrentIndex(explorer.method.findData("pca"))
    with qtbot.waitSignal(explorer.layout_shown, timeout=30_000):
        explorer.run()
    explorer.colour_by.setCurrentIndex(explorer.colour_by.findData("group"))
    explorer.apply_colours()
    assert explorer.view.legend_entries() == 6

    pos = explorer.coords
    x0, x1 = np.percentile(pos[:, 0], [20, 60])
    y0, y1 = np.percentile(pos[:, 1], [10, 70])
    explorer.view.select_rect(x0, y0, x1, y1)
    inside = np.flatnonzero((pos[:, 0] >= x0) & (pos[:, 0] <= x1) & (pos[:, 1] >= y0) & (pos[:, 1] <= y1))
    assert explorer.view.selected.tolist() == inside.tolist()

    explorer.isolate_button.click()
    assert drawn(explorer.view) == len(inside)
    assert f"showing {len(inside):,} of 1,500 points" in explorer.header.text()
    assert explorer.export_tsv(tmp_path / "iso.tsv")
    lines = (tmp_path / "iso.tsv").read_text().splitlines()
    assert lines[0].split("\t")[:4] == ["x", "y", "label", "group"] and len(lines) == len(inside) + 1

    explorer.show_all_button.click()
    assert drawn(explorer.view) == 1500
    assert explorer.export_tsv(tmp_path / "all.tsv")
    assert len((tmp_path / "all.tsv").read_text().splitlines()) == 1501
    assert explorer.export_projector(tmp_path / "tensors.tsv")
    assert len((tmp_path / "tensors.tsv").read_text().splitlines()) == 1500


def test_an_export_that_cannot_be_written_says_why_and_never_that_it_was_saved(laid_out, monkeypatch, tmp_path):
    from dlviz.gui.explorer import exports

    said = []
    laid_out.message.connect(said.append)
    missing = tmp_path / "no such folder"
    for export, name in ((laid_out._export_png, "plot.png"), (laid_out._export_svg, "plot.svg"),
                         (laid_out._export_tsv, "plot.tsv")):
        monkeypatch.setattr(exports.QFileDialog, "getSaveFileName", lambda *args, name=name: (str(missing / name), ""))
        export()
        assert said[-1].startswith(f"Could not write {name}"), said[-1]
    assert not missing.exists()

    monkeypatch.setattr(exports.QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "plot.svg"), ""))
    laid_out._export_svg()
    assert said[-1] == "Saved plot.svg." and (tmp_path / "plot.svg").read_text().startswith("<svg")


def test_rerun_on_an_isolated_selection_lays_out_only_it(explorer, qtbot):
    explorer.set_points(clusters(600))
    explorer.method.setCurrentIndex(explorer.method.findData("pca"))
    with qtbot.waitSignal(explorer.layout_shown, timeout=30_000):
        explorer.run()
    explorer.view.set_selected(np.arange(0, 600, 3))
    explorer.isolate()
    with qtbot.waitSignal(explorer.layout_shown, timeout=30_000):
        explorer.run()
    assert len(explorer.current) == 200 and drawn(explorer.view) == 200
    explorer.show_all()
    assert len(explorer.current) == 600 and drawn(explorer.view) == 600


def test_a_precomputed_layout_is_shown_at_once_and_large_sets_turn_to_density(explorer, qtbot, tmp_path):
    rng = np.random.default_rng(1)
    layout = rng.normal(size=(3_000, 2)).astype(np.float32)
    path = tmp_path / "coords.tsv"
    path.write_text("\n".join(f"{x}\t{y}" for x, y in layout) + "\n")
    explorer.view.density_threshold = 2_000
    with finished(explorer, qtbot, "source"):
        explorer.load_vector_file(str(path))
    assert explorer.view.mode == "density" and "density view" in explorer.header.text()
    np.testing.assert_allclose(explorer.view.pos, layout, rtol=1e-6)
    explorer.view.box.setRange(xRange=(-0.2, 0.2), yRange=(-0.2, 0.2), padding=0)
    x0, x1, y0, y1 = explorer.view.view_rect()
    in_view = int(((layout[:, 0] >= x0) & (layout[:, 0] < x1) & (layout[:, 1] >= y0) & (layout[:, 1] < y1)).sum())
    assert 0 < in_view < 3_000
    qtbot.waitUntil(lambda: explorer.view.overlay_count == in_view == drawn(explorer.view), timeout=2_000)


def test_sampling_says_how_many_are_shown(explorer):
    explorer.max_points.setValue(500)
    explorer.set_points(clusters(2_000))
    assert len(explorer.current) == 500
    assert "showing 500 of 2,000 points" in explorer.header.text()
    explorer.sampling.setCurrentIndex(explorer.sampling.findData("group"))
    explorer._resample()
    groups = explorer.current.meta["group"]
    assert len(set(groups)) == 6  # stratified: every group keeps points


def test_bad_input_becomes_one_sentence(explorer, qtbot, tmp_path):
    broken = tmp_path / "broken.tsv"
    broken.write_text("1\t2\t3\n4\tfive\t6\n")
    messages = []
    explorer.message.connect(messages.append)
    with qtbot.waitSignal(explorer.runner.failed, timeout=30_000):
        explorer.load_vector_file(str(broken))
    assert "Traceback" not in messages[-1] and not messages[-1].startswith("Unexpected")
    assert explorer.statusBar().currentMessage() == messages[-1]

    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(explorer.runner.failed, timeout=60_000):
        explorer.load_folder(str(empty))
    assert "no image" in messages[-1]

    explorer.set_points(make_points(np.eye(5, dtype=np.float32) + 0.1, {"word": np.array(list("abcde"), object)}, "word"))
    explorer.method.setCurrentIndex(explorer.method.findData("pca"))
    with qtbot.waitSignal(explorer.layout_shown, timeout=30_000):
        explorer.run()
    explorer.words.setPlainText("a, zebra")
    explorer.find_words()
    assert "zebra" in messages[-1] and explorer.view.marked.tolist() == [0]


def test_the_main_window_opens_the_explorer_and_image_points_open_in_the_toolbox(window, qtbot, samples):
    explorer = window.open_explorer()
    try:
        assert explorer.isVisible() and explorer.loaded is window.session.model
        assert explorer.runner is not window.runner  # a long run never holds up forward passes
        other = next(p for p in sorted(samples.iterdir()) if p.suffix == ".png" and p.name != window.session.image_name)
        with qtbot.waitSignal(window.ready, timeout=60_000):
            explorer.image_wanted.emit(str(other))
        assert window.session.image_path == other
        explorer.close()  # hides, and keeps its worker for the next time
        assert not explorer.isVisible() and explorer.runner._worker.isRunning()
        assert window.open_explorer() is explorer and explorer.isVisible()
        with qtbot.waitSignal(explorer.runner.finished, timeout=60_000):
            explorer.load_classes()  # still works after a close and a reopen
    finally:
        explorer.shutdown()
        explorer.close()
    assert not explorer.runner._worker.isRunning()


def test_resampling_drops_a_running_layout_and_an_unchanged_limit_keeps_it(explorer, qtbot):
    explorer.set_points(clusters(6000, d=20))
    explorer.max_points.setValue(200_000)
    explorer.max_points.editingFinished.emit()  # focus left the box, nothing changed
    count = []
    explorer.runner.partial.connect(lambda kind, p: kind == "embed" and count.append(1))
    explorer.method.setCurrentIndex(explorer.method.findData("tsne"))
    explorer.tsne_iterations.setValue(5000)
    explorer.run()
    qtbot.waitUntil(lambda: len(count) >= 2, timeout=60_000)
    explorer.max_points.editingFinished.emit()  # unchanged: the run goes on
    assert explorer.runner.running_kind() == "embed"
    explorer.max_points.setValue(3000)
    explorer.max_points.editingFinished.emit()  # 3,000 of the 6,000 now: the old run is for other points
    qtbot.waitUntil(lambda: explorer.runner.running_kind() is None, timeout=5_000)
    assert len(explorer.current) == 3000 and not explorer.stop_button.isEnabled()
    qtbot.wait(300)
    assert explorer.coords is None or len(explorer.coords) == 3000


def test_what_was_found_among_the_old_points_goes_with_them(laid_out, qtbot):
    explorer = laid_out
    explorer.search.setText("retriever")
    assert explorer.matches.text().endswith("matches")
    explorer.view.set_selected(np.arange(27))
    assert explorer.selection_info.text() == "27 selected"
    explorer.set_points(clusters(300))
    assert explorer.matches.text() == "" and explorer.selection_info.text() == ""


def test_the_wheel_scrolls_the_column_past_a_setting_without_changing_it(explorer, qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication, QScrollArea

    explorer.resize(1000, 500)  # a short window: the column scrolls
    explorer.method.setCurrentIndex(explorer.method.findData("tsne"))
    qtbot.wait(50)
    box = explorer.perplexity
    column = box.window().findChild(QScrollArea)
    before, scrolled = box.value(), column.verticalScrollBar().value()

    def wheel(widget):
        pos = QPointF(5, 5)
        QApplication.sendEvent(widget, QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, -120),
                                                   Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False))

    wheel(box)
    assert box.value() == before and column.verticalScrollBar().value() > scrolled
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    wheel(box)
    assert box.value() != before  # once clicked (focused), the wheel changes it as usual


def test_the_window_fits_the_screen_and_offers_what_the_method_uses(explorer, qtbot, bundled, tmp_path):
    from dlviz.gui.explorer.window import EmbeddingWindow

    fresh = EmbeddingWindow(bundled, cache_dir=tmp_path / "fresh")
    qtbot.addWidget(fresh)
    screen = fresh.screen().availableGeometry()
    assert fresh.width() <= screen.width() and fresh.height() <= screen.height()  # it opened at 1400×900 before
    fresh.close()
    explorer.method.setCurrentIndex(explorer.method.findData("tsne"))
    assert not explorer.reproducible.isVisibleTo(explorer)
    explorer.method.setCurrentIndex(explorer.method.findData("umap"))
    assert explorer.reproducible.isVisibleTo(explorer)
    assert explorer.fit_button.text() == "Fit"


def _tsv(path, rows, dims=20):
    rng = np.random.default_rng(0)
    block = rng.normal(size=(rows, dims)).astype(np.float32)
    path.write_text("\n".join("\t".join(row) for row in np.char.mod("%.4f", block)) + "\n", encoding="utf-8")
    return path


def test_a_vector_file_is_read_in_pieces_with_progress_the_window_shows_as_it_comes(explorer, qtbot, tmp_path,
                                                                                   monkeypatch):
    """The whole file used to be split and parsed in one go, with no progress and no way to stop
    it: a 170 MB TSV froze the window 3.9 s. `benchmarks/stalls.py` times the gaps."""
    from dlviz.core import textfile, vectors

    monkeypatch.setattr(textfile, "CHUNK_BYTES", 64 << 10)  # many pieces from a small file
    monkeypatch.setattr(textfile, "REPORT_S", 0.0)  # each reported
    path = _tsv(tmp_path / "points.tsv", 40_000)  # 6 MB
    qtbot.waitUntil(lambda: not explorer.runner.is_busy(), timeout=60_000)  # the layout kernels' warm-up
    real, readers = vectors.read_points, []
    monkeypatch.setattr(vectors, "read_points", lambda *a, **k: (readers.append(threading.get_ident()), real(*a, **k))[1])
    shown = []
    explorer.runner.progress.connect(lambda kind, f, text: kind == "source" and shown.append(f))
    with finished(explorer, qtbot, "source"):
        explorer.load_vector_file(str(path))
    assert len(explorer.points) == 40_000 and explorer.source_info.text().startswith("40,000 points, 20-d")
    assert readers and readers != [threading.get_ident()], "the file was read on the GUI thread"
    assert len(shown) >= 20 and shown == sorted(shown) and shown[-1] > 0.95  # the file, piece by piece


def test_stop_ends_the_reading_of_a_file_and_keeps_the_points_shown(explorer, qtbot, tmp_path, monkeypatch):
    from dlviz.core import textfile

    with finished(explorer, qtbot, "source"):
        explorer.load_classes()
    assert not explorer.stop_button.isEnabled()
    monkeypatch.setattr(textfile, "CHUNK_BYTES", 4 << 10)
    real, started, gate = textfile.text_lines, threading.Event(), threading.Event()

    def held(*args, **kwargs):  # the read waits after its first line until Stop was clicked
        lines = real(*args, **kwargs)
        yield next(lines)
        started.set()
        gate.wait(10)
        yield from lines

    monkeypatch.setattr("dlviz.core.vectors.text_lines", held)
    path = _tsv(tmp_path / "slow.tsv", 20_000)
    explorer.load_vector_file(str(path))
    qtbot.waitUntil(started.is_set, timeout=10_000)
    assert explorer.runner.running_kind() == "source"
    assert explorer.stop_button.isEnabled() and explorer.progress.isVisible()
    explorer.stop_button.click()
    gate.set()
    qtbot.waitUntil(lambda: explorer.runner.running_kind() != "source", timeout=5_000)
    assert "Stopped reading" in explorer.statusBar().currentMessage()
    assert len(explorer.points) == 1000 and not explorer.stop_button.isEnabled()


def test_a_large_set_is_sampled_by_the_reading_job_not_the_window(explorer, qtbot, tmp_path, monkeypatch):
    """Sampling and copying 200k of 400k points held the window 100-500 ms."""
    from dlviz.core import embedding

    real, threads = embedding.sample, []
    monkeypatch.setattr(embedding, "sample", lambda *a, **k: (threads.append(threading.get_ident()), real(*a, **k))[1])
    explorer.max_points.setValue(1000)
    path = _tsv(tmp_path / "many.tsv", 3000, dims=4)
    with finished(explorer, qtbot, "source"):
        explorer.load_vector_file(str(path))
    assert len(explorer.points) == 3000 and len(explorer.current) == 1000
    assert threads and threading.get_ident() not in threads, "the window drew the sample itself"
    expected = real(3000, 1000, labels=None, seed=explorer.seed.value())
    np.testing.assert_array_equal(explorer.base_index, expected)
    np.testing.assert_array_equal(explorer.current.vectors, explorer.points.vectors[expected])
    explorer.max_points.setValue(2000)  # a new limit is drawn by the window, as before
    explorer._resample()
    assert len(explorer.current) == 2000
