"""Live sources without Qt: the sample video, slideshows, bad videos, and the player's pace and steps."""

from __future__ import annotations

import os
import random
import threading
import time

import numpy as np
import pytest
from PIL import Image

from dlviz import paths
from dlviz.core.frames import Frame, Pattern, Player, Slideshow, VideoError, VideoFile, is_video, open_source


def test_the_sample_video_plays_every_frame_in_order():
    video = VideoFile(paths.sample_video())
    assert video.rate == pytest.approx(20.0)
    assert video.count == 180
    indices = []
    while (frame := video.read()) is not None:
        indices.append(frame.index)
        assert frame.rgb.shape == (360, 480, 3) and frame.rgb.dtype == np.uint8
        assert frame.time_s == pytest.approx(frame.index / 20.0)
    assert indices == list(range(180))
    video.close()


def test_seeking_lands_on_the_frame_asked_for():
    video = VideoFile(paths.sample_video())
    reference = {}
    while (frame := video.read()) is not None:
        if frame.index in (0, 37, 100, 179):
            reference[frame.index] = frame.rgb
    for index in (100, 37, 0, 179):  # forwards, backwards, to the start, to the last frame
        video.seek(index)
        frame = video.read()
        assert frame.index == index
        assert np.array_equal(frame.rgb, reference[index])
    video.seek(10_000)  # past the end: the last frame
    assert video.read().index == 179
    video.close()


def test_an_animated_gif_is_a_video(tmp_path):
    path = tmp_path / "blink.gif"
    frames = [Image.new("RGB", (64, 48), (40 * k, 0, 0)) for k in range(5)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert is_video(path)
    video = open_source(path)
    shown = []
    while (frame := video.read()) is not None:
        shown.append(int(frame.rgb[..., 0].mean()))
    assert len(shown) == 5
    assert shown == sorted(shown) and shown[-1] > shown[0]  # each frame brighter than the last


@pytest.mark.parametrize("content, says", [
    (b"", "is empty"),
    (b"this is a shopping list, not a film\n" * 40, "is not a video dlviz can decode"),
    # Seeded: about one in 200 random files probes as audio, and is then told it "holds no video stream".
    (random.Random(0).randbytes(20_000), "is not a video dlviz can decode"),
])
def test_a_file_that_is_not_a_video_gets_one_sentence_naming_it(tmp_path, content, says):
    path = tmp_path / "holiday.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError) as caught:
        video = VideoFile(path)
        while video.read() is not None:  # some damage shows only when decoding
            pass
    text = str(caught.value)
    assert "holiday.mp4" in text and says in text and "\n" not in text


def test_a_truncated_video_plays_what_it_has_or_says_where_it_broke(tmp_path):
    whole = paths.sample_video().read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(whole[: len(whole) // 2])
    try:
        video = VideoFile(path)
        while video.read() is not None:
            pass
    except VideoError as exc:  # never another kind of exception
        assert "cut.mp4" in str(exc)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_pipe_named_like_a_video_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "stream.mp4"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(VideoError, match="stream.mp4 is a pipe"):
        VideoFile(fifo)
    assert time.monotonic() - start < 5


def test_a_folder_plays_as_a_slideshow_and_skips_what_it_cannot_read(tmp_path):
    for k, name in enumerate(["a.png", "b.jpg", "c.png"]):
        Image.new("RGB", (40, 30), (k * 100, 50, 50)).save(tmp_path / name)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    show = Slideshow(tmp_path, seconds=0.5)
    assert show.rate == pytest.approx(2.0)
    seen = []
    while (frame := show.read()) is not None:
        seen.append(int(frame.rgb[0, 0, 0]))
    assert seen == [0, 100, 200]


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(VideoError, match="holds no image files"):
        open_source(tmp_path)


class Collect:
    def __init__(self):
        self.frames: list[Frame] = []
        self.ended = threading.Event()
        self.got = threading.Condition()

    def __call__(self, frame):
        with self.got:
            self.frames.append(frame)
            self.got.notify_all()

    def wait_for(self, count, timeout=10):
        with self.got:
            return self.got.wait_for(lambda: len(self.frames) >= count, timeout)


def test_the_player_hands_out_frames_in_order_and_stops_at_the_end_without_loop():
    got = Collect()
    player = Player(Pattern(rate=30, count=12), got, loop=False, ended=got.ended.set, paced=False)
    player.play()
    assert got.ended.wait(10)
    assert [f.index for f in got.frames] == list(range(12))
    assert all(Pattern.index_in(f.rgb) == f.index for f in got.frames)
    assert not player.playing
    player.close()


def test_the_player_loops():
    got = Collect()
    player = Player(Pattern(rate=30, count=5), got, loop=True, paced=False)
    player.play()
    assert got.wait_for(12)
    player.close()
    assert [f.index for f in got.frames[:12]] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]


def test_steps_go_forwards_and_backwards_from_the_frame_on_screen():
    got = Collect()
    player = Player(Pattern(rate=30, count=100), got, paced=False)
    player.seek(50)
    assert got.wait_for(1)
    assert got.frames[-1].index == 50
    player.step(1)
    assert got.wait_for(2)
    player.step(-1, here=51)
    assert got.wait_for(3)
    player.step(-1, here=10)  # the window shows an older frame than the player handed out last
    assert got.wait_for(4)
    player.close()
    assert [f.index for f in got.frames] == [50, 51, 50, 9]


def test_the_player_keeps_the_source_pace():
    got = Collect()
    player = Player(Pattern(rate=20, count=1000), got)
    player.play()
    time.sleep(1.0)
    player.close()
    # 20 frames a second for about a second: never the 1000 an unpaced player hands out
    assert 10 <= len(got.frames) <= 30


def test_a_source_that_breaks_mid_play_says_so_once_and_stops():
    class Breaks(Pattern):
        def read(self):
            frame = super().read()
            if frame is not None and frame.index == 3:
                raise VideoError("clip.mp4 could not be decoded past frame 3 (InvalidDataError).")
            return frame

    got, said = Collect(), []
    player = Player(Breaks(rate=30, count=10), got, failed=said.append, paced=False)
    player.play()
    deadline = time.monotonic() + 5
    while not said and time.monotonic() < deadline:
        time.sleep(0.01)
    player.close()
    assert said == ["clip.mp4 could not be decoded past frame 3 (InvalidDataError)."]
    assert [f.index for f in got.frames] == [0, 1, 2]


def test_a_new_speed_or_a_quick_pause_mid_wait_keeps_the_player_going():
    got, said = Collect(), []
    player = Player(Pattern(rate=5, count=1000), got, failed=said.append)
    player.play()
    assert got.wait_for(2)
    for _ in range(5):  # each lands while the player waits for the next frame's time
        player.set_speed(2.0)
        player.pause()
        player.play()
        time.sleep(0.03)
    assert got.wait_for(5)
    player.close()
    assert said == []
