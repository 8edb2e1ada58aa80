"""dlviz.core.images: every Pillow mode becomes uint8 RGB; every bad file becomes one sentence."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile, features

from dlviz.core.images import (
    IMAGE_FILTER,
    MAX_PIXELS,
    ImageError,
    image_files_in,
    load_image,
    neighbour_image,
)

CHELSEA = Path(__file__).resolve().parents[2] / "assets" / "samples" / "chelsea.png"


def save(tmp_path: Path, im: Image.Image, name: str, **kwargs) -> Path:
    path = tmp_path / name
    im.save(path, **kwargs)
    return path


def check_rgb(a: np.ndarray, shape: tuple[int, int]) -> None:
    assert a.shape == (*shape, 3)
    assert a.dtype == np.uint8
    assert a.flags.c_contiguous


# ---------------------------------------------------------------- modes


def test_rgb_roundtrip(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    out = load_image(save(tmp_path, Image.fromarray(rgb), "a.png"))
    check_rgb(out, (7, 5))
    np.testing.assert_array_equal(out, rgb)


def test_one_bit(tmp_path):
    im = Image.new("1", (4, 3), 0)
    im.putpixel((1, 1), 1)
    out = load_image(save(tmp_path, im, "bw.png"))
    check_rgb(out, (3, 4))
    assert out[1, 1].tolist() == [255, 255, 255] and out[0, 0].tolist() == [0, 0, 0]


def test_grey_l(tmp_path):
    out = load_image(save(tmp_path, Image.new("L", (6, 2), 77), "l.png"))
    check_rgb(out, (2, 6))
    assert (out == 77).all()


def test_la_transparent_becomes_white(tmp_path):
    im = Image.new("LA", (2, 1), (10, 255))
    im.putpixel((1, 0), (10, 0))
    out = load_image(save(tmp_path, im, "la.png"))
    assert out[0, 0].tolist() == [10, 10, 10]
    assert out[0, 1].tolist() == [255, 255, 255]


def test_rgba_composited_over_white(tmp_path):
    im = Image.new("RGBA", (3, 1), (200, 0, 0, 255))
    im.putpixel((1, 0), (0, 0, 0, 0))
    im.putpixel((2, 0), (0, 0, 0, 128))
    out = load_image(save(tmp_path, im, "rgba.png"))
    check_rgb(out, (1, 3))
    assert out[0, 0].tolist() == [200, 0, 0]
    assert out[0, 1].tolist() == [255, 255, 255]
    assert 120 <= out[0, 2, 0] <= 135  # half-transparent black over white is mid grey


def test_palette_colours_survive(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.putpixel((1, 0), 1)
    out = load_image(save(tmp_path, im, "p.png"))
    assert out[0, 0].tolist() == [255, 0, 0] and out[0, 1].tolist() == [0, 0, 255]


def test_palette_with_transparency(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.putpixel((1, 0), 1)
    im.info["transparency"] = 1
    out = load_image(save(tmp_path, im, "pt.png", transparency=1))
    assert out[0, 0].tolist() == [255, 0, 0] and out[0, 1].tolist() == [255, 255, 255]


def test_cmyk_jpeg(tmp_path):
    out = load_image(save(tmp_path, Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "c.jpg"))
    check_rgb(out, (8, 8))
    r, g, b = out[4, 4].astype(int)
    assert r > 200 and g < 60 and b < 60  # cyan-free, full magenta+yellow ink is red


def test_ycbcr(tmp_path):
    im = Image.new("RGB", (4, 4), (0, 128, 255)).convert("YCbCr")
    out = load_image(save(tmp_path, im, "y.jpg", quality=100))
    assert np.abs(out[2, 2].astype(int) - [0, 128, 255]).max() < 8


@pytest.mark.parametrize("mode", ["I;16", "I;16B"])
def test_16_bit_grey_is_scaled_not_clipped(tmp_path, mode):
    a = np.array([[0, 32768, 65535]], dtype=">u2" if mode == "I;16B" else "<u2")
    im = Image.frombytes(mode, (3, 1), a.tobytes())
    out = load_image(save(tmp_path, im, f"g{mode[-1]}.tif"))
    check_rgb(out, (1, 3))
    assert out[0, 0, 0] == 0 and abs(int(out[0, 1, 0]) - 128) <= 1 and out[0, 2, 0] == 255


def test_16_bit_png(tmp_path):
    im = Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.uint16))
    out = load_image(save(tmp_path, im, "g16.png"))
    assert out[0, 0, 0] == 0 and abs(int(out[0, 1, 0]) - 128) <= 1 and out[0, 2, 0] == 255


def test_32_bit_int_grey(tmp_path):
    im = Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.int32), mode="I")
    assert im.mode == "I"
    out = load_image(save(tmp_path, im, "i.tif"))
    assert out[0, 0, 0] == 0 and abs(int(out[0, 1, 0]) - 128) <= 1 and out[0, 2, 0] == 255


def test_float_is_min_max_scaled(tmp_path):
    im = Image.fromarray(np.array([[-2.0, 0.0, 2.0]], dtype=np.float32))
    assert im.mode == "F"
    out = load_image(save(tmp_path, im, "f.tif"))
    check_rgb(out, (1, 3))
    assert out[0, :, 0].tolist() == [0, 128, 255]


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (20, 10), (0, 200, 0))
    exif = im.getexif()
    exif[0x0112] = 6
    out = load_image(save(tmp_path, im, "rot.jpg", exif=exif))
    check_rgb(out, (20, 10))


def test_animated_gif_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (5, 5), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    out = load_image(path)
    check_rgb(out, (5, 5))
    assert out[2, 2].tolist() == [255, 0, 0]


def test_animated_png_gives_first_frame(tmp_path):
    frames = [Image.new("RGBA", (5, 5), c) for c in [(0, 0, 255, 255), (255, 0, 0, 255)]]
    path = tmp_path / "anim.png"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    assert load_image(path)[0, 0].tolist() == [0, 0, 255]


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_animated_webp_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), c) for c in [(0, 255, 0), (255, 0, 255)]]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, lossless=True)
    assert load_image(path)[4, 4].tolist() == [0, 255, 0]

def test_bytes_and_pathlike_and_str(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (3, 2), (1, 2, 3)).save(buf, format="PNG")
    path = tmp_path / "b.png"
    path.write_bytes(buf.getvalue())
    for source in (buf.getvalue(), path, str(path)):
        out = load_image(source)
        check_rgb(out, (2, 3))
        assert out[0, 0].tolist() == [1, 2, 3]


def test_real_photo():
    out = load_image(CHELSEA)
    check_rgb(out, (300, 451))
    assert out.std() > 10


# ---------------------------------------------------------------- bad input


def expect_error(source, name: str, *, max_pixels: int = MAX_PIXELS) -> str:
    with pytest.raises(ImageError) as err:
        load_image(source, max_pixels=max_pixels)
    msg = str(err.value)
    assert name in msg, msg
    assert "\n" not in msg and msg.endswith("."), msg
    return msg


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    assert "empty" in expect_error(tmp_path / "empty.png", "empty.png")


def test_empty_bytes():
    assert "empty" in expect_error(b"", "pasted")


def test_truncated_png(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = (path := save(tmp_path, Image.fromarray(rgb), "cut.png")).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in expect_error(path, "cut.png")


def test_truncated_jpeg(tmp_path):
    rgb = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = (path := save(tmp_path, Image.fromarray(rgb), "cut.jpg")).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in expect_error(path, "cut.jpg")


def test_truncated_bytes():
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(buf, format="PNG", compress_level=0)
    expect_error(buf.getvalue()[:300], "pasted")


def test_truncated_files_are_not_accepted_globally():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_random_bytes(tmp_path):
    (path := tmp_path / "noise.png").write_bytes(np.random.default_rng(3).bytes(5000))
    expect_error(path, "noise.png")
    expect_error(path.read_bytes(), "pasted")


def test_corrupt_after_valid_signature(tmp_path):
    (path := tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    expect_error(path, "broken.png")


def test_text_file(tmp_path):
    (path := tmp_path / "chelsea.txt").write_text("not a cat\n")
    assert expect_error(path, "chelsea.txt") == "chelsea.txt is not an image file Pillow can read."


def test_directory(tmp_path):
    (path := tmp_path / "photos").mkdir()
    assert expect_error(path, "photos") == "photos is a folder, not an image file."


def test_missing_file(tmp_path):
    assert expect_error(tmp_path / "x.png", "x.png") == "x.png does not exist."


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions, non-root")
def test_unreadable_file(tmp_path):
    path = save(tmp_path, Image.new("RGB", (2, 2)), "locked.png")
    path.chmod(0)
    try:
        assert "permission denied" in expect_error(path, "locked.png")
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("where", ["dlviz.core.files", "dlviz.core.images"])
def test_unreadable_file_message(tmp_path, monkeypatch, where):
    """Denied at the first look at the file, or when it is opened for decoding after it."""
    import importlib

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    path = save(tmp_path, Image.new("RGB", (2, 2)), "x.png")
    monkeypatch.setattr(importlib.import_module(where), "open", denied, raising=False)
    assert expect_error(path, "x.png") == "x.png cannot be read (permission denied)."


def test_decompression_bomb_is_refused_without_decoding(tmp_path):
    # 20000×20000 1-bit PNG: tiny on disk, 400 megapixels declared (beyond Pillow's own limit).
    path = save(tmp_path, Image.new("1", (20000, 20000)), "bomb.png", optimize=True)
    assert path.stat().st_size < 200_000
    msg = expect_error(path, "bomb.png")
    assert "400 megapixels" in msg and "limit" in msg


def test_our_budget_is_checked_before_decoding(tmp_path):
    path = save(tmp_path, Image.new("RGB", (40, 30)), "huge.png")
    msg = expect_error(path, "huge.png", max_pixels=1000)
    assert msg == "huge.png is 40×30 pixels, more than the 1,000-pixel limit."
    assert load_image(path, max_pixels=1200).shape == (30, 40, 3)


def test_pillow_warning_zone_is_within_our_budget(tmp_path, monkeypatch, recwarn):
    # Between Pillow's warning and error limits, our own budget decides; no warning leaks.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    path = save(tmp_path, Image.new("L", (15, 10), 5), "mid.png")
    assert load_image(path, max_pixels=1000).shape == (10, 15, 3)
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]
    assert "megapixel" not in expect_error(path, "mid.png", max_pixels=100)


def test_default_budget_message(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # only our budget applies
    path = save(tmp_path, Image.new("1", (12000, 10000)), "big.png", optimize=True)
    assert expect_error(path, "big.png") == "big.png is 12000×10000 pixels, more than the 100-megapixel limit."


# ---------------------------------------------------------------- folders


def make_folder(tmp_path: Path, names: list[str]) -> Path:
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def test_image_files_in_orders_and_filters(tmp_path):
    make_folder(tmp_path, ["b.JPG", "A.png", "c.txt", "a2.webp", ".hidden.png", "d.TIFF", "e.pgm"])
    (tmp_path / "sub.png").mkdir()
    names = [p.name for p in image_files_in(tmp_path)]
    assert names == ["A.png", "a2.webp", "b.JPG", "d.TIFF", "e.pgm"]
    assert image_files_in(tmp_path / "missing") == []


def test_neighbour_image_wraps(tmp_path):
    make_folder(tmp_path, ["a.png", "B.jpg", "c.gif", "notes.txt"])
    a, b, c = tmp_path / "a.png", tmp_path / "B.jpg", tmp_path / "c.gif"
    assert neighbour_image(a, +1) == b
    assert neighbour_image(b, +1) == c
    assert neighbour_image(c, +1) == a
    assert neighbour_image(a, -1) == c
    assert neighbour_image(c, -1) == b
    assert neighbour_image(tmp_path / "notes.txt", +1) == a  # a non-image still finds its place
    assert neighbour_image(tmp_path / "bb.png", -1) == b  # so does a deleted file


def test_neighbour_image_none_when_alone(tmp_path):
    make_folder(tmp_path, ["only.png", "readme.md"])
    assert neighbour_image(tmp_path / "only.png", 1) is None
    assert neighbour_image(tmp_path / "only.png", -1) is None


def test_image_filter():
    assert IMAGE_FILTER.startswith("Images (*.png *.jpg") and IMAGE_FILTER.endswith(";;All files (*)")
    for ext in ("*.jpeg", "*.webp", "*.tiff", "*.pgm"):
        assert ext in IMAGE_FILTER

