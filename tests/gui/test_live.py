"""Live input through the real window: the sample video and a synthetic pattern feed every pane,
the newest frame wins, freezing, steps, long work on a frozen frame, and what goes wrong."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QDockWidget

from dlviz import paths
from dlviz.core.activations import run
from dlviz.core.frames import Pattern
from dlviz.work import kinds


def frames_shown(window):
    """The frame numbers the session has shown, as they come."""
    seen = []
    window.session.forward_changed.connect(
        lambda: window.session.input is not None and window.session.input.live and seen.append(window.session.input.frame))
    return seen


def play_pattern(window, rate=60.0, count=100_000):
    window.live.play(Pattern(rate=rate, count=count), "video", None)


def test_the_sample_video_feeds_every_pane(window, qtbot):
    seen = frames_shown(window)
    window.live.open_video(paths.sample_video())
    qtbot.waitUntil(lambda: len(set(seen)) >= 4, timeout=30_000)
    s = window.session
    assert s.input.kind == "video" and s.input.name == "tour.mp4"
    assert s.rgb.shape == (360, 480, 3)
    # The forward pass on screen is this frame's: the crop the model saw is cut from it.
    assert np.array_equal(s.result.crop, s.model.preprocess.crop_rgb(s.rgb))
    # The panes drew it: the predictions are its top classes, the grid and unit its activations.
    top = int(np.argmax(s.result.forward.probs))
    assert window.predictions.rows[0][1] == s.model.labels[top]
    act = s.activation()
    assert window.grid.layout_.channels == act.shape[0]
    assert np.array_equal(window.unit.map.image, act[s.unit])
    assert np.array_equal(window.input_pane.image.image, s.preview)
    # The frames went through a trace of the recording pass, which gives the eager pass's values.
    assert [entry for entry in s.model.traced.values() if isinstance(entry, tuple)]  # (graph, layer names)
    eager = run(s.model, s.model.preprocess.normalise(s.result.crop))
    np.testing.assert_allclose(act, eager.activations[s.layer], rtol=1e-4, atol=1e-4)
    # The status bar shows the live figures.
    qtbot.waitUntil(lambda: "fps" in window.status.live_info.text(), timeout=5_000)
    assert window.status.live_info.isVisible()
    assert "dropped" in window.status.live_info.text()


def test_the_newest_frame_wins_and_frames_are_never_queued(window, qtbot):
    import threading

    live = window.live
    offered, taken = [], []
    offer, take = live.offer, live._take
    both = threading.Lock()  # an offer and its record are one step as far as a take can see

    def spy_offer(frame, *generation):
        with both:
            offer(frame, *generation)
            offered.append(frame.index)

    def spy_take(*lane):
        with both:
            frame = take(*lane)
            if frame is not None:
                taken.append((frame.index, max(offered)))
            return frame

    live.offer, live._take = spy_offer, spy_take
    consistent = []
    window.session.forward_changed.connect(
        lambda: consistent.append(Pattern.index_in(window.session.rgb) == window.session.input.frame))
    play_pattern(window, rate=200.0)  # faster than the model here
    qtbot.waitUntil(lambda: len(taken) >= 12, timeout=30_000)
    dropped = live.dropped
    live.stop()
    # Every frame sent to the model was the newest there was; the ones it replaced were dropped.
    assert all(index == newest for index, newest in taken), taken
    assert dropped > 0 and len(offered) >= len(taken) + dropped
    # Every pane's frame is the one the session names.
    assert consistent and all(consistent)


def test_freeze_keeps_the_frame_and_every_tab_works_on_it(window, qtbot):
    seen = frames_shown(window)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=30_000)
    window.actions["live-freeze"].trigger()
    assert window.live.frozen
    frozen_on = window.session.input.frame
    qtbot.wait(600)
    assert window.session.input.frame == frozen_on
    assert "frozen" in window.status.live_info.text()
    # A click on a unit still answers on the frozen frame.
    window.session.set_unit(3)
    assert np.array_equal(window.unit.map.image, window.session.activation()[3])
    window.actions["live-freeze"].trigger()
    qtbot.waitUntil(lambda: window.session.input.frame != frozen_on, timeout=10_000)


def test_long_work_runs_on_a_frozen_frame(window, qtbot):
    seen = frames_shown(window)
    messages = []
    window.status.message.connect(messages.append)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=30_000)
    window.show_view(2)
    window.perturb.request_map()  # the sensitivity map: seconds of work on a snapshot
    assert window.live.frozen
    assert any("for the occlusion map" in m for m in messages), messages
    frame = window.session.input.frame
    qtbot.wait(500)
    assert window.session.input.frame == frame  # no frame restarts it
    assert window.runner.waiting(kinds.OCCLUSION)
    window.status.cancel()


def test_space_pauses_and_the_frame_keys_step(window, qtbot):
    seen = frames_shown(window)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=30_000)
    window.actions["play"].trigger()
    assert not window.live.playing
    qtbot.wait(300)  # a frame already on its way may still land
    here = window.session.input.frame
    window.actions["step-forward"].trigger()
    qtbot.waitUntil(lambda: window.session.input.frame == here + 1, timeout=10_000)
    window.actions["step-back"].trigger()
    window.actions["step-back"].trigger()
    qtbot.waitUntil(lambda: window.session.input.frame == here - 1, timeout=10_000)
    assert Pattern.index_in(window.session.rgb) == here - 1


def test_without_a_camera_one_sentence_and_the_image_stays(window, qtbot):
    from dlviz.gui import camera

    if camera.cameras():  # .ci/run installs what QtMultimedia needs; the machine has no camera
        pytest.skip("this machine has a camera")
    messages = []
    window.status.message.connect(messages.append)
    before = window.session.rgb
    window.actions["camera"].trigger()
    assert messages, "nothing was said"
    assert messages[-1].startswith("No camera was found"), messages[-1]  # .ci/run installs what QtMultimedia needs
    assert not window.live.active
    assert window.session.rgb is before


def test_a_video_that_will_not_decode_names_the_file(window, qtbot, tmp_path):
    bad = tmp_path / "lecture.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 50)
    messages = []
    window.status.message.connect(messages.append)
    before = window.session.rgb
    window.live.open_video(bad)
    qtbot.waitUntil(lambda: any("lecture.mp4" in m for m in messages), timeout=10_000)
    assert not window.live.active
    assert window.session.rgb is before


def test_opening_an_image_ends_live_input(window, qtbot, chelsea):
    seen = frames_shown(window)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=30_000)
    window.loader.open_image(chelsea)
    assert not window.live.active
    qtbot.waitUntil(lambda: window.session.input.kind == "file" and window.session.result is not None, timeout=30_000)
    shown = len(seen)
    qtbot.wait(300)
    assert len(seen) == shown and window.session.input.kind == "file"


def test_reloading_the_model_while_live_never_shows_the_old_models_frames(window, qtbot, monkeypatch):
    from dlviz.work import toolbox

    seen = frames_shown(window)
    shown_by = []  # for every live frame shown: was it made by the model on screen?
    done = window.live._frame_done
    through, one_frame = [], toolbox.live_frame  # the model of every live pass, as it starts

    def spy(result, generation, lane):
        done(result, generation, lane)
        if result is not None and window.session.result is result.forward:
            shown_by.append(result.loaded is window.session.model)

    def passes(state, loaded, *args):
        through.append(loaded)
        return one_frame(state, loaded, *args)

    window.live._frame_done = spy
    monkeypatch.setattr(toolbox, "live_frame", passes)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=30_000)
    old = window.session.model
    # The worker busy when the load is asked for, as it is behind a backward pass: a frame sent
    # then waited behind the load, and went through the old model after it.
    window.runner.submit(kinds.FORWARD, lambda state: __import__("time").sleep(0.3))
    qtbot.waitUntil(lambda: window.runner.running_kind() == kinds.FORWARD, timeout=30_000)
    asked = len(through)
    window.loader.load_model(None)
    qtbot.waitUntil(lambda: window.session.model is not old, timeout=60_000)
    count = len(seen)
    qtbot.waitUntil(lambda: len(seen) >= count + 3, timeout=30_000)
    window.live.stop()
    assert len(shown_by) >= 3 and all(shown_by)
    # From the load on, no frame went through the old model only to be thrown away.
    assert all(loaded is not old for loaded in through[asked:]), [loaded is old for loaded in through[asked:]]


@pytest.mark.slow
def test_memory_stays_flat_while_live(window, qtbot):
    import resource  # noqa: F401  (Linux only, like the rest of the suite's memory checks)

    def rss_mb():
        with open("/proc/self/statm") as stream:
            return int(stream.read().split()[1]) * 4096 / 2**20

    seen = frames_shown(window)
    window.live.open_video(paths.sample_video())
    qtbot.waitUntil(lambda: len(seen) >= 10, timeout=30_000)
    qtbot.wait(2000)
    start = rss_mb()
    qtbot.wait(8000)
    grown = rss_mb() - start
    window.live.stop()
    assert len(seen) > 40
    assert grown < 30, f"the process grew {grown:.0f} MB in 8 s of live video"


def test_recording_the_window_while_live_makes_a_video_of_it(window, qtbot, tmp_path):
    from dlviz.core.frames import VideoFile

    messages = []
    window.status.message.connect(messages.append)
    play_pattern(window, rate=30.0)
    out = tmp_path / "lecture.mp4"
    assert window.recorder.start(window, "window", out)
    qtbot.waitUntil(lambda: window.recorder.grabs >= 12, timeout=20_000)
    assert window.status.recording.isVisible() and window.status.recording.text().startswith("● REC 0:")
    window.actions["record"].trigger()  # Ctrl+R again: stop
    qtbot.waitUntil(lambda: any(m.startswith("Saved lecture.mp4") for m in messages), timeout=20_000)
    assert not window.status.recording.isVisible()
    video = VideoFile(out)
    frames = []
    while (frame := video.read()) is not None:
        frames.append(frame.rgb)
    size = window.grab().size()
    assert len(frames) >= 10 and frames[0].shape[:2] == (size.height() - size.height() % 2, size.width() - size.width() % 2)
    assert not np.array_equal(frames[0], frames[-1])  # the live frames moved in the recording


def test_a_gif_recording_of_a_pane_stops_at_its_limit(window, qtbot, tmp_path, monkeypatch):
    from dlviz.gui import recorder

    monkeypatch.setattr(recorder, "GIF_LIMIT_S", 1)
    messages = []
    window.status.message.connect(messages.append)
    out = tmp_path / "unit.gif"
    assert window.recorder.start(window.unit, "Unit", out)
    qtbot.waitUntil(lambda: any(m.startswith("Saved unit.gif") for m in messages), timeout=20_000)
    assert any("reached its 1 s limit" in m for m in messages)
    with open(out, "rb") as stream:
        assert stream.read(6) in (b"GIF87a", b"GIF89a")


def test_a_recording_to_a_folder_that_is_gone_is_one_sentence(window, tmp_path):
    messages = []
    window.status.message.connect(messages.append)
    assert not window.recorder.start(window, "window", tmp_path / "gone" / "x.mp4")
    assert messages and "does not exist" in messages[-1] and not window.recorder.recording


def test_the_seek_bar_moves_through_the_video(window, qtbot):
    seen = frames_shown(window)
    window.live.open_video(paths.sample_video())
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=30_000)
    transport = window.input_pane.transport
    assert transport.isVisible() and transport.bar.maximum() == 179
    window.actions["play"].trigger()  # pause, then drag to frame 150
    transport.seek.emit(150)
    qtbot.waitUntil(lambda: window.session.input.frame == 150, timeout=10_000)
    qtbot.waitUntil(lambda: transport.bar.value() == 150, timeout=5_000)
    assert transport.where.text().startswith("0:07.5 / 0:09.0")
    window.live.stop()
    qtbot.waitUntil(lambda: not transport.isVisible(), timeout=5_000)


def test_zero_switches_between_the_centre_square_and_the_whole_picture(window, qtbot):
    from PIL import Image

    s = window.session
    height, width = s.rgb.shape[:2]
    assert width != height  # the cat is not square: the two views differ
    window.actions["fit"].trigger()
    qtbot.waitUntil(lambda: s.result is not None and s.model.preprocess.fit == "stretch", timeout=30_000)
    side = s.model.preprocess.crop
    whole = np.asarray(Image.fromarray(s.rgb).resize((side, side), Image.Resampling.BICUBIC))
    assert np.abs(s.result.crop.astype(int) - whole.astype(int)).mean() < 2
    rect = window.input_pane.crop.rect()  # the dashed box is the whole photo
    assert (rect.width(), rect.height()) == (width, height)
    assert s.view_dict()["fit"] == "stretch"  # remembered with the view
    window.actions["fit"].trigger()
    qtbot.waitUntil(lambda: s.result is not None and s.model.preprocess.fit == "crop", timeout=30_000)
    assert np.array_equal(s.result.crop, s.model.preprocess.crop_rgb(s.rgb))
    assert window.input_pane.crop.rect().width() < width


def test_a_saved_session_brings_back_the_videos_frame(window, qtbot, chelsea):
    from dlviz.session import Session

    seen = frames_shown(window)
    window.live.open_video(paths.sample_video())
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=30_000)
    window.actions["play"].trigger()
    window.live.seek(42)
    qtbot.waitUntil(lambda: window.session.input.frame == 42, timeout=10_000)
    data = Session.read(window.session.to_dict())
    assert data["input"]["kind"] == "video" and data["input"]["frame"] == 42
    window.loader.open_image(chelsea)  # something else on screen
    qtbot.waitUntil(lambda: window.session.input.kind == "file" and window.session.result is not None, timeout=30_000)
    assert window.restore_session(data)
    qtbot.waitUntil(lambda: window.session.input.kind == "video" and window.session.input.frame == 42, timeout=30_000)
    assert not window.live.playing  # paused on the frame, as it was saved


def test_a_new_source_never_shows_a_frame_of_the_old_one(window, qtbot):
    shapes = []
    window.session.forward_changed.connect(lambda: shapes.append(window.session.rgb.shape))
    window.live.play(Pattern(rate=200.0, size=(240, 320)), "video", None)
    qtbot.waitUntil(lambda: len(shapes) >= 3, timeout=30_000)
    window.live.play(Pattern(rate=200.0, size=(120, 160)), "video", None)
    switched = len(shapes)
    qtbot.waitUntil(lambda: len(shapes) >= switched + 5, timeout=30_000)
    window.live.stop()
    assert all(shape == (120, 160, 3) for shape in shapes[switched:]), shapes[switched:]


def test_speed_changes_and_quick_pauses_keep_the_video_playing(window, qtbot):
    seen = frames_shown(window)
    messages = []
    window.status.message.connect(messages.append)
    window.live.play(Pattern(rate=4.0, count=1000), "video", None)  # a frame every 250 ms: easy to catch mid-wait
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=30_000)
    window.actions["faster"].trigger()
    window.actions["play"].trigger()
    window.actions["play"].trigger()  # paused and playing again within one frame
    window.actions["slower"].trigger()
    count = len(seen)
    qtbot.waitUntil(lambda: len(seen) >= count + 3, timeout=15_000)
    assert window.live.playing and window.live.player._thread.is_alive()
    assert not any("stopped playing" in m for m in messages), messages


def test_a_recording_whose_encoder_fails_stops_and_says_so(window, qtbot, tmp_path, monkeypatch):
    from dlviz.core import recording

    def broken(self, rgb):
        raise recording.RecordingError("the disk is full")

    monkeypatch.setattr(recording.VideoWriter, "write", broken)
    messages = []
    window.status.message.connect(messages.append)
    assert window.recorder.start(window, "window", tmp_path / "full.mp4")
    qtbot.waitUntil(lambda: not window.recorder.recording, timeout=10_000)
    assert "The disk is full." in messages
    grabs = window.recorder.grabs
    qtbot.wait(400)
    assert window.recorder.grabs == grabs  # no more grabs once it failed
    assert not any(path.suffix == ".mp4" for path in tmp_path.iterdir())


def test_a_saved_video_frame_is_drawn_as_that_frame(tmp_path):
    from dlviz.core.frames import VideoFile
    from dlviz.gui.offscreen import _frame_as_png
    from dlviz.session import InputSource
    from PIL import Image

    png = _frame_as_png(InputSource("video", paths.sample_video(), "tour.mp4", 42), tmp_path)
    video = VideoFile(paths.sample_video())
    video.seek(42)
    assert np.array_equal(np.asarray(Image.open(png).convert("RGB")), video.read().rgb)


def test_score_cam_runs_on_a_frozen_frame_while_grad_cam_follows(window, qtbot):
    from PySide6.QtWidgets import QDockWidget

    messages = []
    window.status.message.connect(messages.append)
    window.findChild(QDockWidget, "dock-attention").raise_()
    pane = window.attention
    cams = []
    window.runner.submitted.connect(lambda kind: kind == kinds.CAM and cams.append(window.session.input_version))
    seen = frames_shown(window)
    play_pattern(window, rate=15.0)
    qtbot.waitUntil(lambda: len(seen) >= 4 and len(set(cams)) >= 3, timeout=60_000)  # Grad-CAM per frame
    assert not window.live.frozen
    pane.method.setCurrentIndex(pane.method.findData("scorecam"))
    assert window.live.frozen and window.runner.waiting(kinds.SCORE_CAM)
    assert any("for the Score-CAM" in m for m in messages), messages
    window.status.cancel()


def test_camera_frames_take_the_same_path_mirrored_or_not(settings, qtbot):
    """No camera here: a camera's frame is made by hand and handed to the camera's own slot."""
    from PySide6.QtGui import QImage

    from dlviz.gui import camera
    from dlviz.gui.widgets.images import qimage

    qm = camera.multimedia()
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:, :16] = (250, 20, 20)  # red on the left
    got = []
    for mirror in ("false", "true"):
        settings.setValue("live/mirror", mirror)
        cam = camera.Camera(settings, got.append, lambda sentence: None)
        cam._start = 0.0
        cam._frame(qm.QVideoFrame(qimage(rgb).convertToFormat(QImage.Format_RGB32)))
    plain, mirrored = got
    assert plain.index == 0 and np.array_equal(plain.rgb, rgb)
    assert np.array_equal(mirrored.rgb, rgb[:, ::-1])  # like a mirror: the red is on the right


def test_the_backprop_view_keeps_a_picture_between_frames(window, qtbot):
    """Taken off at every new frame, the gradient picture was blank most of the time while live."""
    pane = window.backprop
    qtbot.waitUntil(lambda: pane.grad is not None, timeout=60_000)
    blank, pictures = [], []
    window.session.forward_changed.connect(lambda: blank.append(pane.image.image is None))
    pane.image.sigImageChanged.connect(lambda: pictures.append(pane.shown_key[1] if pane.shown_key else None))
    play_pattern(window, rate=15.0)
    qtbot.waitUntil(lambda: len(blank) >= 8 and len(set(pictures)) >= 3, timeout=60_000)
    window.live.stop()
    assert not any(blank)  # a picture at every frame
    assert len(set(pictures)) >= 3  # and it followed the frames


@pytest.mark.parametrize("overlap", [False, True], ids=["turns", "beside"])
@pytest.mark.parametrize("dock, kind, job", [("backprop", kinds.BACKPROP, "backprop"), ("attention", kinds.CAM, "cam")])
def test_a_view_slower_than_the_frames_draws_every_frame_shown(window, qtbot, monkeypatch, dock, kind, job, overlap):
    """A view that follows the frames with a job of its own (made slower than a frame here) has
    drawn each frame before the next lands, whether frames take turns with it on the window's
    runner or the next frame's pass runs beside it on the feed's own lane and waits: landed as
    soon as their pass was done, frames replaced its job before it could finish (the Backprop tab
    drew 2 pictures in 106 frames)."""
    import time

    from dlviz.work import toolbox

    real = getattr(toolbox, job)

    def slow(state, *args):
        time.sleep(0.25)
        return real(state, *args)

    monkeypatch.setattr(toolbox, job, slow)
    window.live.max_lanes, window.live.overlap_views = 2, overlap
    window.findChild(QDockWidget, f"dock-{dock}").raise_()
    seen = frames_shown(window)
    answered = []  # the frame on screen when each answer for a frame came
    window.runner.finished.connect(
        lambda k, result: k == kind and window.session.input.live and answered.append(window.session.input.frame))
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(answered) >= 5, timeout=60_000)
    window.live.stop()
    assert len(window.live._lanes) == (2 if overlap else 1)  # the feed's own lane only beside the view
    # From the first answer on, every frame shown had its picture before the next frame came.
    shown = [frame for frame in seen if frame >= answered[0]]
    assert answered == shown[:len(answered)], (answered, shown)
    assert len(shown) - len(answered) <= 1


@pytest.mark.parametrize("overlap", [False, True], ids=["turns", "beside"])
def test_a_frame_sent_behind_a_views_job_is_the_newest_when_the_model_gets_to_it(window, qtbot, monkeypatch, overlap):
    """Taken from the slot when it was sent, the next frame waited out the backprop view's
    backward pass (made slower than a frame here) and came on screen that much older. Taking
    turns, the frame landed after each backward pass is one offered after that pass ended;
    beside it, its pass starts late enough to end with it, so the frame is about a pass older
    (one to three frames of the pattern; taken as it was sent, eight or nine)."""
    import threading
    import time

    from dlviz.work import toolbox

    live = window.live
    events, lock = [], threading.Lock()  # ("end", newest frame offered then) from the worker, ("shown", frame)
    newest = [-1]
    offer, real = live.offer, toolbox.backprop

    def spy_offer(frame, *generation):
        with lock:
            offer(frame, *generation)
            newest[0] = max(newest[0], frame.index)

    def slow(state, *args):
        time.sleep(0.25)
        result = real(state, *args)
        with lock:
            events.append(("end", newest[0]))
        return result

    live.offer, live.overlap_views = spy_offer, overlap
    monkeypatch.setattr(toolbox, "backprop", slow)
    window.session.forward_changed.connect(
        lambda: window.session.input.live and events.append(("shown", window.session.input.frame)))
    play_pattern(window, rate=30.0)
    pairs = lambda: [(a[1], b[1]) for a, b in zip(events, events[1:]) if a[0] == "end" and b[0] == "shown"]  # noqa: E731
    qtbot.waitUntil(lambda: len(pairs()) >= 8, timeout=60_000)
    live.stop()
    if overlap:  # (after the first frames, from which the feed learns how long the views and a pass take)
        behind = sorted(offered - shown for offered, shown in pairs()[3:])
        assert behind[len(behind) // 2] <= 4, pairs()  # sent at once: 8-9 (a pass slower than usual adds one or two)
    else:
        assert all(shown >= offered for offered, shown in pairs()), pairs()


def test_tabs_out_of_sight_wait_to_draw_until_they_are_shown(window, qtbot):
    """The attention-crop and perturb tabs behind the grid drew every frame while live, for no one."""
    window.views.setCurrentWidget(window.grid)
    drawn = {"glimpse": 0, "perturb": 0}
    window.glimpse.original.photo.sigImageChanged.connect(lambda: drawn.__setitem__("glimpse", drawn["glimpse"] + 1))
    window.perturb.image.sigImageChanged.connect(lambda: drawn.__setitem__("perturb", drawn["perturb"] + 1))
    seen = frames_shown(window)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 6, timeout=60_000)
    window.actions["live-freeze"].trigger()
    qtbot.waitUntil(lambda: window.live.in_flight is None, timeout=30_000)
    assert drawn == {"glimpse": 0, "perturb": 0}
    s = window.session
    for pane, picture in ((window.glimpse, lambda: window.glimpse.original.photo.image),
                          (window.perturb, lambda: window.perturb.image.image)):
        window.views.setCurrentWidget(pane)
        qtbot.waitUntil(lambda: picture() is not None, timeout=10_000)
    # Shown, each draws the frame on screen, not an earlier one.
    assert np.array_equal(window.glimpse.original.photo.image, s.preview)
    assert Pattern.index_in(s.preview) == s.input.frame
    from dlviz.core.perturb import occlude

    pane = window.perturb
    assert pane.mode() == pane.OCCLUDE
    assert np.array_equal(pane.image.image, occlude(s.result.crop, pane.patch_rect(), pane.fill.currentData()))
    window.live.stop()


def test_two_frames_go_through_the_model_at_once_and_are_shown_in_order(window, qtbot):
    """With two lanes, once the live pass is traced, a second frame goes through the model while
    the first still does, on the live feed's own worker; a frame that comes back
    after a later one is on screen is dropped, never shown."""
    import os

    if (os.cpu_count() or 1) < 2:
        pytest.skip("two frames in flight need two cores")
    live = window.live
    live.max_lanes = 2  # the default on two cores or more
    window.findChild(QDockWidget, "dock-feature vis").raise_()  # nothing in front follows each frame with a job
    most, lanes_used = [0], set()
    real_submit = {}

    def watch(lane):
        submit = real_submit[lane] = lane.runner.submit

        def counted(kind, *args, **callbacks):
            lanes_used.add(id(lane.runner))
            most[0] = max(most[0], sum(other.sent for other in live._lanes))
            return submit(kind, *args, **callbacks)

        lane.runner.submit = counted

    seen = frames_shown(window)
    play_pattern(window, rate=200.0)  # faster than the model here
    qtbot.waitUntil(lambda: len(live._lanes) == 2, timeout=60_000)  # after the pass is traced
    for lane in live._lanes:
        watch(lane)
    start = len(seen)
    qtbot.waitUntil(lambda: len(seen) >= start + 20, timeout=60_000)
    live.stop()
    assert most[0] == 2 and len(lanes_used) == 2  # both lanes, with two frames in flight at once
    shown = seen[start:]
    assert shown == sorted(shown), shown  # the pattern counts up: never an older frame after a newer
    assert not live._lanes[1].runner.waiting(kinds.LIVE)  # the feed's own lane was stopped too

    # Down to one lane (a model not yet traced, or max_lanes 1): frames go through the window's
    # runner only, where eager passes and the making of a trace belong.
    live.max_lanes = 1
    lanes_used.clear()
    count = len(seen)
    play_pattern(window, rate=200.0)
    qtbot.waitUntil(lambda: len(seen) >= count + 5, timeout=60_000)
    live.stop()
    assert lanes_used == {id(window.runner)}
    assert Pattern.index_in(window.session.rgb) == window.session.input.frame


def test_one_frame_at_a_time_on_one_core_or_when_asked(window, qtbot, monkeypatch):
    from dlviz.gui import lanes as lanes_module

    monkeypatch.setattr(lanes_module.os, "cpu_count", lambda: 1)
    assert lanes_module.default_lanes() == 1
    for cores in (2, 8):
        monkeypatch.setattr(lanes_module.os, "cpu_count", lambda: cores)
        assert lanes_module.default_lanes() == 2
    live = window.live
    live.max_lanes = 1
    window.findChild(QDockWidget, "dock-feature vis").raise_()  # nothing in front follows each frame with a job
    seen = frames_shown(window)
    play_pattern(window, rate=200.0)
    qtbot.waitUntil(lambda: len(seen) >= 8, timeout=60_000)
    live.stop()
    assert len(live._lanes) == 1 and live._lanes[0].runner is window.runner


def test_a_frame_waiting_behind_other_work_does_not_hold_the_free_lane_back(window, qtbot):
    """Two lanes: a frame sent to the window's runner while it works on something else (a job the
    Backprop tab asked for as it came up, a Score-CAM) must not keep the feed's own lane idle."""
    import os
    import time

    if (os.cpu_count() or 1) < 2:
        pytest.skip("two frames in flight need two cores")
    live = window.live
    live.max_lanes = 2
    window.findChild(QDockWidget, "dock-feature vis").raise_()  # nothing in front follows each frame with a job
    seen = frames_shown(window)
    play_pattern(window, rate=60.0)
    qtbot.waitUntil(lambda: len(live._lanes) == 2, timeout=60_000)  # after the pass is traced
    busy = []
    window.runner.submit(kinds.FORWARD, lambda state: time.sleep(1.5), done=busy.append)
    qtbot.waitUntil(lambda: window.runner.running_kind() == kinds.FORWARD, timeout=30_000)
    start = len(seen)
    qtbot.waitUntil(lambda: bool(busy), timeout=30_000)
    during = len(seen) - start
    live.stop()
    assert during >= 5, during  # the feed's own lane went on while the window's runner was busy


def test_while_frames_play_the_windows_jobs_leave_a_core_for_drawing(window, qtbot):
    """With torch on every core, a backprop view's backward pass took 0.9 s instead of 63 ms beside
    one busy program: OpenMP's threads waited for each other, one of them always for a core."""
    import torch

    from dlviz.gui.lanes import leave_a_core

    def threads_of_a_job():
        got = []
        window.runner.submit(kinds.FORWARD, lambda state: torch.get_num_threads(), done=got.append)
        qtbot.waitUntil(lambda: bool(got), timeout=30_000)
        return got[0]

    at_rest = threads_of_a_job()
    seen = frames_shown(window)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=30_000)
    assert threads_of_a_job() == leave_a_core()
    window.actions["live-freeze"].trigger()  # seconds of work on a frozen frame get every core
    assert threads_of_a_job() == at_rest
    window.live.stop()
    assert threads_of_a_job() == at_rest


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_the_workers_make_way_for_the_window(window, qtbot):
    import os
    import threading

    asked = []
    window.runner.submit(kinds.FORWARD, lambda state: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
                         done=asked.append)
    qtbot.waitUntil(lambda: bool(asked), timeout=60_000)
    assert asked[0] > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_short_gil_turns_only_while_frames_play(window, qtbot):
    import sys

    from dlviz import runtime

    before = sys.getswitchinterval()
    seen = frames_shown(window)
    play_pattern(window, rate=30.0)
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=30_000)
    assert sys.getswitchinterval() == runtime.SHORT_TURN_S
    window.actions["play"].trigger()  # paused: the user may step through layers now
    assert not window.live.playing
    # (a trace being made on the worker, such as the backprop view's, keeps short turns until it is done)
    qtbot.waitUntil(lambda: sys.getswitchinterval() == before, timeout=10_000)
    window.actions["play"].trigger()
    assert sys.getswitchinterval() == runtime.SHORT_TURN_S
    window.live.stop()
    qtbot.waitUntil(lambda: sys.getswitchinterval() == before, timeout=10_000)


def test_a_seek_while_a_frame_waits_for_the_views_keeps_the_frames_coming(window, qtbot, monkeypatch):
    """A frame held while the backprop view (made slower than a frame) drew the one before was let
    go by the seek bar, and nothing sent the next: the picture stood still while the video played."""
    import time

    from dlviz.work import toolbox

    real = toolbox.backprop

    def slow(state, *args):
        time.sleep(0.25)
        return real(state, *args)

    monkeypatch.setattr(toolbox, "backprop", slow)
    live = window.live
    seen = frames_shown(window)
    play_pattern(window, rate=30.0)
    for _ in range(3):
        qtbot.waitUntil(lambda: live._held is not None, timeout=60_000)
        live.seek(live.shown.index + 5)
    before = len(seen)
    qtbot.waitUntil(lambda: len(seen) >= before + 3, timeout=30_000)
    live.stop()
