"""`dlviz shot --presenter 2 --theme contrast`: the presenter view pictured without a screen."""

from __future__ import annotations

import numpy as np
from PIL import Image

from clirun import cli


def test_a_presenter_shot_has_bigger_text_than_a_plain_one(tmp_path, samples):
    plain = cli("shot", samples / "coffee.png", "--size", "1920x1080", "--out", tmp_path / "plain.png")
    big = cli("shot", samples / "coffee.png", "--size", "1920x1080", "--presenter", "2", "--theme", "contrast",
              "--out", tmp_path / "big.png")
    assert plain.returncode == 0 and big.returncode == 0, plain.stderr + big.stderr
    a, b = (np.asarray(Image.open(tmp_path / name).convert("RGB")) for name in ("plain.png", "big.png"))
    assert a.shape == b.shape == (1080, 1920, 3)

    def first_word_height(picture):
        """The height in pixels of the menu bar's first word ("File"): the first run of rows
        from the top that hold light pixels, at the window's left edge."""
        light = (picture[:80, :45].astype(int).min(axis=2) > 150).any(axis=1)
        top = int(np.argmax(light))
        height = 0
        while top + height < len(light) and light[top + height]:
            height += 1
        return height

    assert first_word_height(a) >= 7
    assert first_word_height(b) >= 1.7 * first_word_height(a)  # twice as tall, give or take a pixel
    assert (b[1040:, :, :] < 10).all(axis=2).mean() > (a[1040:, :, :] < 10).all(axis=2).mean()  # black status bar


def test_a_presenter_scale_that_is_not_offered_is_one_sentence(tmp_path, samples):
    done = cli("shot", samples / "coffee.png", "--presenter", "3", "--out", tmp_path / "x.png")
    assert done.returncode == 2
    assert "--presenter" in done.stderr and "Traceback" not in done.stderr
