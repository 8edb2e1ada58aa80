"""`dlviz video` as a user runs it: every frame of a clip through the model, into MP4 or GIF."""

from __future__ import annotations

import numpy as np
import pytest

from clirun import cli, user_error  # noqa: E402
from dlviz import paths
from dlviz.core.frames import VideoFile
from dlviz.core.recording import VideoWriter


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """The first 8 frames of the sample video, at its 20 frames a second."""
    out = tmp_path_factory.mktemp("clip") / "clip.mp4"
    source = VideoFile(paths.sample_video())
    with VideoWriter(out, source.rate) as writer:
        for _ in range(8):
            writer.write(source.read().rgb)
    return out


def frames_of(path):
    video = VideoFile(path)
    frames = []
    while (frame := video.read()) is not None:
        frames.append(frame.rgb)
    return video.rate, frames


@pytest.mark.parametrize("view, suffix, width", [("grid", ".mp4", None), ("unit", ".gif", 448), ("cam", ".mp4", 448)])
def test_every_frame_goes_through_at_the_clips_rate(clip, tmp_path, view, suffix, width):
    out = tmp_path / f"out{suffix}"
    done = cli("video", clip, "--out", out, "--view", view, timeout=240)
    assert done.returncode == 0, done.stderr
    assert f"saved {out}: 8 frames at 20 a second" in done.stdout
    rate, frames = frames_of(out)
    assert rate == pytest.approx(20, rel=0.05) and len(frames) == 8
    if width:
        assert frames[0].shape[1] == width
    assert not np.array_equal(frames[0], frames[-1])  # the picture follows the video


def test_the_whole_window_can_be_rendered(clip, tmp_path):
    out = tmp_path / "window.mp4"
    done = cli("video", clip, "--out", out, "--view", "window", "--size", "1280x720", timeout=300)
    assert done.returncode == 0, done.stderr
    rate, frames = frames_of(out)
    assert len(frames) == 8 and frames[0].shape == (720, 1280, 3)


def test_bad_input_is_one_sentence(tmp_path, clip):
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video\n" * 100)
    user_error(cli("video", junk, "--out", tmp_path / "o.mp4"), "notes.mp4", "not a video")
    user_error(cli("video", clip, "--out", tmp_path / "o.avi"), "--out must end in .mp4 or .gif")
    user_error(cli("video", clip, "--out", tmp_path / "o.mp4", "--view", "unit", "--unit", "5000"), "--unit 5000")
    assert not (tmp_path / "o.mp4").exists()


def test_a_session_saved_on_a_video_frame_is_drawn_from_that_frame(tmp_path):
    import json

    session = tmp_path / "frame.dlviz"
    session.write_text(json.dumps({"version": 1, "input": {"kind": "video", "path": str(paths.sample_video()),
                                                            "name": "tour.mp4", "frame": 42}}))
    out = tmp_path / "frame.png"
    done = cli("shot", "--session", session, "--out", out, "--size", "1280x720", timeout=240)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 10_000
