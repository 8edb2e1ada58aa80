"""The session without a window: its signals, its saved form and what it accepts back."""

from __future__ import annotations

import math
import sys

import pytest

from dlviz.session import VERSION, InputSource, ModelSpec, Session, Signal, number, point


def test_a_bug_in_one_slot_is_reported_and_the_others_still_run(monkeypatch):
    reported, heard = [], []
    monkeypatch.setattr(sys, "excepthook", lambda *info: reported.append(info[0]))
    signal = Signal()
    signal.connect(lambda: heard.append("first"))
    signal.connect(lambda: 1 / 0)
    signal.connect(lambda: heard.append("third"))
    signal.emit()
    assert heard == ["first", "third"] and reported == [ZeroDivisionError]


def test_the_saved_form_is_plain_and_versioned():
    session = Session()
    session.set_view(gamma=0.5, cmap="ice")
    session.register("pane", lambda: {"method": "guided", "steps": 3}, lambda state: None)
    data = session.to_dict()
    assert data["version"] == VERSION and data["input"] is None
    assert data["model"] == {"name": None, "weights": None, "labels": None}
    assert data["view"] == {"contrast": 0.0, "gamma": 0.5, "cmap": "ice", "opacity": 0.6, "fit": "crop"}
    assert data["panes"] == {"pane": {"method": "guided", "steps": 3}}


def test_specs_and_sources_read_back_what_they_wrote_and_refuse_nonsense():
    spec = ModelSpec("resnet18", None, "/tmp/names.txt")
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert ModelSpec.from_dict({"name": 3, "weights": ["x"]}) == ModelSpec()
    assert ModelSpec.from_dict("resnet18") == ModelSpec()
    source = InputSource.of("/photos/cat.png")
    assert InputSource.from_dict(source.to_dict()) == source
    assert InputSource.from_dict({"kind": "pasted", "name": "pasted image"}) is None  # nothing to load again
    assert InputSource.from_dict({"kind": "file", "path": 7}) is None


def test_a_saved_number_is_kept_within_bounds_or_skipped():
    assert number(7, 0.0, 1.0) == 1.0 and number(-3, 0.0, 1.0) == 0.0 and number(0.25, 0.0, 1.0) == 0.25
    for bad in (float("nan"), math.inf, True, "0.5", None, [1]):
        assert number(bad, 0.0, 1.0) is None
    session = Session()
    session.set_view_dict({"gamma": float("nan"), "opacity": 10**30, "contrast": "high", "cmap": 3})
    assert (session.gamma, session.opacity, session.contrast, session.cmap) == (1.0, 1.0, 0.0, "ember")


def test_a_saved_point_is_two_finite_numbers_or_nothing():
    assert point([3, 4.5]) == (3.0, 4.5) and point([-1e12, 0]) == (-1e12, 0.0)
    for bad in ([1], [1, 2, 3], (1, 2), [1, float("nan")], [True, 2], ["1", 2], None, {"x": 1}):
        assert point(bad) is None, bad


def test_a_part_whose_options_cannot_be_put_back_is_named_and_the_rest_are_restored(monkeypatch):
    monkeypatch.setattr(sys, "excepthook", lambda *info: None)
    session, restored = Session(), []
    session.register("broken", lambda: {}, lambda state: state["missing"])
    session.register("fine", lambda: {}, restored.append)
    problems = session.apply({"version": VERSION, "panes": {"broken": {}, "fine": {"x": 1}}})
    assert problems == ["broken options"] and restored == [{"x": 1}]


def test_a_session_that_cannot_be_written_leaves_the_old_file_whole(tmp_path, monkeypatch):
    from dlviz.session import read_file, save_file

    path = tmp_path / "view.dlviz"
    save_file({"version": 1, "layer": "blocks.3"}, path)

    def disk_full(fd):  # the new text is written, but cannot be made to reach the disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("dlviz.core.files.os.fsync", disk_full)
    with pytest.raises(OSError):
        save_file({"version": 1, "layer": "blocks.5"}, path)
    monkeypatch.undo()
    assert read_file(path)["layer"] == "blocks.3"
    assert [p.name for p in tmp_path.iterdir()] == ["view.dlviz"]
