"""Recordings for slides: MP4 and GIF written whole, at the rate asked, and read back frame for frame."""

from __future__ import annotations

import numpy as np
import pytest

from dlviz.core.frames import Pattern, VideoFile
from dlviz.core.recording import RecordingError, VideoWriter


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_frames_come_back_in_order_at_the_rate(tmp_path, suffix):
    pattern = Pattern(rate=12.5, count=15, size=(120, 160))
    out = tmp_path / f"clip{suffix}"
    with VideoWriter(out, pattern.rate) as writer:
        for k in range(15):
            writer.write(pattern.make(k))
            assert not out.exists()  # nothing under the final name until the end
    assert out.exists() and writer.count == 15 and writer.size == (160, 120)
    video = VideoFile(out)
    assert video.rate == pytest.approx(12.5, rel=0.05)
    back = []
    while (frame := video.read()) is not None:
        back.append(frame.rgb)
    assert len(back) == 15
    for k in (0, 7, 14):  # the bright square is where it was drawn
        square = pattern.make(k)[..., 0] > 120
        assert (back[k][..., 0] > 120)[square].mean() > 0.9
        assert (back[k][..., 0] > 120)[~square].mean() < 0.05


def test_odd_sizes_and_later_sizes_are_fitted(tmp_path):
    out = tmp_path / "odd.mp4"
    with VideoWriter(out, 10) as writer:
        writer.write(np.zeros((101, 75, 3), np.uint8))
        writer.write(np.full((300, 300, 3), 200, np.uint8))  # another size: scaled to the first
    assert writer.size == (74, 100)
    video = VideoFile(out)
    assert video.read().rgb.shape == (100, 74, 3)
    assert video.read().rgb.mean() > 150


def test_a_failed_recording_leaves_no_file(tmp_path):
    out = tmp_path / "broken.mp4"
    with pytest.raises(ZeroDivisionError):
        with VideoWriter(out, 10) as writer:
            writer.write(np.zeros((64, 64, 3), np.uint8))
            1 / 0
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_kind_or_folder_is_one_sentence(tmp_path):
    with pytest.raises(RecordingError, match="saved as .mp4 or .gif, not '.avi'"):
        VideoWriter(tmp_path / "x.avi", 10)
    with pytest.raises(RecordingError, match="does not exist"):
        VideoWriter(tmp_path / "missing" / "x.mp4", 10)
