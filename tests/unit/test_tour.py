"""Tours as plain data, and the paths of a saved session written relative to its file."""

from __future__ import annotations

import json
import shutil

import pytest

from dlviz.session import VERSION, Session, read_file, save_file
from dlviz.tour import Tour, absolute_paths, read_tours, relative_paths, view_only


def view(layer="blocks.3", image="/pics/cat.png", unit=0):
    return {"version": VERSION, "model": {"name": None, "weights": None, "labels": None},
            "input": {"kind": "file", "path": image, "name": image.rsplit("/", 1)[-1]},
            "layer": layer, "unit": unit, "view": {}, "panes": {"window": {"view": "activations"}},
            "tours": [{"name": "inner", "steps": []}]}


def test_steps_are_added_after_the_current_one_moved_and_removed():
    tour = Tour()
    assert tour.add(view("a")) == 0 and tour.add(view("c")) == 1
    assert tour.add(view("b"), at=0) == 1  # after step 0
    assert [step.view["layer"] for step in tour.steps] == ["a", "b", "c"]
    assert "version" not in tour.steps[0].view and "tours" not in tour.steps[0].view  # a view, not a file
    assert tour.move(2, 0) == 0 and [s.view["layer"] for s in tour.steps] == ["c", "a", "b"]
    assert tour.move(0, 99) == 2 and [s.view["layer"] for s in tour.steps] == ["a", "b", "c"]
    tour.replace(1, view("B"))
    assert tour.remove(0).view["layer"] == "a" and [s.view["layer"] for s in tour.steps] == ["B", "c"]
    assert tour.steps[0].describe() == "cat.png · B · unit 0 · activations"


def test_a_tour_survives_json_and_what_is_not_a_step_is_left_out():
    tour = Tour("Lecture 3")
    tour.add(view(unit=4), "Edges first")
    text = json.dumps({"tours": [tour.to_dict(), {"kind": "from a newer dlviz"}]})
    data = json.loads(text)
    data["tours"][0]["steps"].append({"caption": "no view"})
    tours, unread, dropped = read_tours(data)
    assert len(tours) == 1 and tours[0].name == "Lecture 3" and dropped == 1
    assert tours[0].steps[0].caption == "Edges first" and tours[0].steps[0].view["unit"] == 4
    assert unread == [{"kind": "from a newer dlviz"}]


def test_a_session_keeps_its_tours_and_those_it_cannot_read():
    session = Session()
    data = {"version": VERSION, "tours": [Tour("t", []).to_dict(), "gibberish"], "future": 1}
    session.take_file(data)
    session.tours[0].add(view(), "new")
    saved = session.to_dict()
    assert saved["tours"][1] == "gibberish" and saved["future"] == 1
    assert saved["tours"][0]["steps"][0]["caption"] == "new"
    assert view_only(saved).keys() == {"model", "input", "layer", "unit", "view", "panes", "future"}


def test_paths_are_written_relative_to_the_session_and_read_back_whole(tmp_path):
    folder = tmp_path / "talk"
    data = view(image=str(folder / "pics" / "cat.png"))
    data["model"]["weights"] = str(tmp_path / "models" / "net.pt")
    data["panes"]["explorer"] = {"folder_path": "", "file_path": str(folder / "vectors.tsv")}
    data["tours"] = [{"steps": [{"caption": "", "view": view(image=str(folder / "dog.png"))}]}]
    written = relative_paths(data, folder)
    assert written["input"]["path"] == "pics/cat.png"
    assert written["model"]["weights"] == "../models/net.pt"
    assert written["panes"]["explorer"] == {"folder_path": "", "file_path": "vectors.tsv"}  # empty stays empty
    assert written["tours"][0]["steps"][0]["view"]["input"]["path"] == "dog.png"
    assert data["input"]["path"] == str(folder / "pics" / "cat.png")  # the session's own dict is left alone
    read = absolute_paths(written, folder)
    assert read["input"]["path"] == str(folder / "pics" / "cat.png")
    assert read["model"]["weights"] == str(tmp_path / "models" / "net.pt")


def test_a_talk_folder_moved_elsewhere_still_finds_its_pictures(tmp_path, samples):
    talk = tmp_path / "talk"
    (talk / "pics").mkdir(parents=True)
    shutil.copy(samples / "coffee.png", talk / "pics" / "coffee.png")
    save_file(view(image=str(talk / "pics" / "coffee.png")), talk / "lecture.dlviz")
    assert json.loads((talk / "lecture.dlviz").read_text(encoding="utf-8"))["input"]["path"] == "pics/coffee.png"
    moved = shutil.move(str(talk), str(tmp_path / "elsewhere"))
    data = read_file(f"{moved}/lecture.dlviz")
    assert data["input"]["path"] == str(tmp_path / "elsewhere" / "pics" / "coffee.png")


@pytest.mark.parametrize("coords", [[[1.5, 2.0], [3.25, -4.0]], [[0.1, 0.2]]])
def test_lists_of_numbers_are_written_on_one_line(tmp_path, coords):
    save_file({"version": VERSION, "panes": {"explorer": {"layout": {"coords": coords}}}}, tmp_path / "s.dlviz")
    text = (tmp_path / "s.dlviz").read_text(encoding="utf-8")
    assert json.loads(text)["panes"]["explorer"]["layout"]["coords"] == coords
    assert f"[{coords[0][0]}, {coords[0][1]}]" in text


def test_a_file_cut_short_keeps_steps_whose_captions_hold_quotes(tmp_path):
    from dlviz.session import SessionError

    tour = Tour("T")
    tour.add(view(), 'a 6" screen, and [1,2] in brackets')
    tour.add(view("blocks.5"), "the second")
    save_file({"version": VERSION, "layer": "x", "tours": [tour.to_dict()]}, tmp_path / "t.dlviz")
    text = (tmp_path / "t.dlviz").read_text(encoding="utf-8")
    assert read_file(tmp_path / "t.dlviz")["tours"][0]["steps"][0]["caption"] == 'a 6" screen, and [1,2] in brackets'
    (tmp_path / "cut.dlviz").write_text(text[:-12], encoding="utf-8")
    data = read_file(tmp_path / "cut.dlviz")
    assert [step["caption"] for step in data["tours"][0]["steps"]][:1] == ['a 6" screen, and [1,2] in brackets']
    assert data.problems
    with pytest.raises(SessionError):
        (tmp_path / "nothing.dlviz").write_text('{"version": 1, "la', encoding="utf-8")
        read_file(tmp_path / "nothing.dlviz")


def test_a_path_typed_relative_to_the_working_folder_is_saved_relative_to_the_session(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    written = relative_paths(view(image="cat.png"), tmp_path / "talks")
    assert written["input"]["path"] == "../work/cat.png"
