"""A unit's map as a tint over the photo: colour and transparency from its strength."""

from __future__ import annotations

import numpy as np

from dlviz.core.mosaic import colormap_lut
from dlviz.gui.widgets.heat import heat_rgba


def test_strength_picks_the_colour_and_the_transparency_and_silence_lets_the_photo_through():
    values = np.array([[-3.0, 0.0, 0.5], [1.0, 2.0, 4.0]], dtype=np.float32)
    rgba = heat_rgba(values, "ember", 0.6)
    assert rgba.shape == (2, 3, 4) and rgba.dtype == np.uint8
    strength = np.clip(values / 4.0, 0, 1)
    level = np.round(strength * 255).astype(int)
    assert np.array_equal(rgba[..., :3], colormap_lut("ember")[level])
    assert np.all(rgba[0, :2, 3] == 0)  # negative and zero: untouched photo
    assert rgba[1, 2, 3] == int(255 * 0.6 + 0.5)  # the strongest point: the full opacity asked for
    assert np.all(np.abs(rgba[..., 3].astype(int) - np.sqrt(strength) * 255 * 0.6) <= 8)
    assert np.all(np.diff(rgba[1, :, 3].astype(int)) > 0)  # stronger is more opaque
    other = heat_rgba(values, "ember", 0.3)  # (each opacity its own table)
    assert other[1, 2, 3] == int(255 * 0.3 + 0.5) and np.array_equal(other[..., :3], rgba[..., :3])


def test_a_silent_map_is_clear_and_the_result_is_the_callers_own():
    silent = heat_rgba(np.full((4, 4), -1.0, dtype=np.float32), "ember", 0.8)
    assert not silent[..., 3].any()
    made = heat_rgba(np.ones((2, 2), dtype=np.float32), "ember", 0.8)
    made[...] = 0  # writable, and not the shared table
    again = heat_rgba(np.ones((2, 2), dtype=np.float32), "ember", 0.8)
    assert again[0, 0, 3] == int(255 * 0.8 + 0.5)
