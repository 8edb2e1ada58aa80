"""Files that could hang the worker are refused in one sentence; writes reach the disk whole."""

from __future__ import annotations

import os
import sys
import time

import pytest

from dlviz.core import files
from dlviz.core.errors import DlvizError, ImageError

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")


@posix_only
def test_a_pipe_is_refused_at_once_without_being_opened(tmp_path):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    began = time.monotonic()
    with pytest.raises(ImageError) as caught:
        files.check_file(fifo, ImageError, what="image file")
    assert time.monotonic() - began < 1.0
    assert str(caught.value) == "photo.jpg is a pipe (FIFO), not an image file."


def test_missing_files_folders_and_devices_get_one_sentence(tmp_path):
    with pytest.raises(DlvizError, match=r"^gone\.png does not exist\.$"):
        files.check_file(tmp_path / "gone.png")
    with pytest.raises(DlvizError, match=r"^sub is a folder, not an image file\.$"):
        (tmp_path / "sub").mkdir()
        files.check_file(tmp_path / "sub", what="image file")
    if os.path.exists("/dev/null"):
        with pytest.raises(DlvizError, match=r"^null is a device, not a file of vectors\.$"):
            files.check_file("/dev/null", what="file of vectors")


def test_a_file_that_does_not_answer_is_given_up_on_after_the_time_box(tmp_path, monkeypatch):
    """A hung network mount blocks in stat() or open(); the worker must not wait for ever."""
    path = tmp_path / "far.png"
    path.write_bytes(b"x")
    real_stat = os.stat

    def hung(target, *args, **kwargs):
        if str(target) == str(path):
            time.sleep(3)
        return real_stat(target, *args, **kwargs)

    monkeypatch.setattr(files.os, "stat", hung)
    began = time.monotonic()
    with pytest.raises(DlvizError, match=r"^far\.png did not answer within 0\.3 s"):
        files.check_file(path, timeout_s=0.3)
    assert time.monotonic() - began < 1.5


def test_a_regular_file_passes_and_its_size_is_known(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"12345")
    assert files.check_file(path).st_size == 5


def test_an_atomic_write_is_flushed_to_the_disk_before_it_takes_the_old_files_place(tmp_path, monkeypatch):
    path = tmp_path / "cache.npz"
    path.write_bytes(b"old")
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: (synced.append(path.read_bytes()), real_fsync(fd)))
    files.write_atomic(path, lambda stream: stream.write(b"new"))
    assert synced == [b"old"], "fsync came after the rename, or not at all"
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.npz"]


def test_a_failed_atomic_write_keeps_the_old_file_and_leaves_no_part(tmp_path):
    path = tmp_path / "view.dlviz"
    path.write_text("old", encoding="utf-8")

    def fails(stream):
        stream.write("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        files.write_atomic(path, fails, binary=False)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["view.dlviz"]


def test_a_damaged_file_is_set_aside_under_a_name_that_says_so(tmp_path):
    path = tmp_path / "top-abc.npz"
    path.write_bytes(b"PK\x03")
    kept = files.set_aside(path)
    assert kept == tmp_path / "top-abc.npz.damaged" and kept.read_bytes() == b"PK\x03"
    assert not path.exists()
