"""dlviz.core.mosaic: where tiles sit, how values become brightness, and what the picture looks like."""

from __future__ import annotations

import numpy as np
import pytest

from dlviz.core.mosaic import (
    COLORMAPS,
    PAD_RGB,
    Layout,
    as_maps,
    colormap_lut,
    make_layout,
    mosaic,
    normalise,
    upscale_nearest,
)

# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("channels, h, w", [(1, 5, 5), (10, 3, 4), (16, 7, 7), (37, 14, 14), (64, 2, 9)])
def test_every_channel_has_its_own_tile(channels, h, w):
    layout = make_layout(channels, h, w)
    assert layout.rows * layout.cols >= channels
    assert (layout.rows - 1) * layout.cols < channels, "a whole empty row"
    assert layout.pad == 1
    assert layout.shape == (layout.rows * (h + 1) - 1, layout.cols * (w + 1) - 1)
    seen = set()
    for channel in range(channels):
        y, x = layout.origin(channel)
        assert 0 <= y and y + h <= layout.shape[0]
        assert 0 <= x and x + w <= layout.shape[1]
        assert layout.locate(y, x) == (channel, 0, 0)
        assert layout.locate(y + h - 1, x + w - 1) == (channel, h - 1, w - 1)
        assert layout.locate(y + h / 2, x + 0.7) == (channel, int(h / 2), 0)
        seen.add((y, x))
    assert len(seen) == channels


def test_locate_covers_every_pixel_exactly_once():
    layout = make_layout(11, 3, 2)
    counts = {}
    for y in range(layout.shape[0]):
        for x in range(layout.shape[1]):
            hit = layout.locate(y, x)
            if hit is not None:
                counts[hit] = counts.get(hit, 0) + 1
    assert len(counts) == 11 * 3 * 2
    assert set(counts.values()) == {1}


def test_locate_on_padding_and_outside_is_none():
    layout = make_layout(10, 4, 4)  # 4 columns, 3 rows: two empty slots in the last row
    assert (layout.rows, layout.cols) == (3, 4)
    y, x = layout.origin(0)
    assert layout.locate(y, x + 4) is None  # the gutter column right of tile 0
    assert layout.locate(y + 4, x) is None  # the gutter row below tile 0
    assert layout.locate(-1, 0) is None
    assert layout.locate(0, -0.5) is None
    assert layout.locate(layout.shape[0], 0) is None
    assert layout.locate(0, layout.shape[1] + 3) is None
    empty_y, empty_x = layout.origin(10)  # where channel 10 would be: empty
    assert layout.locate(empty_y, empty_x) is None
    assert layout.locate(*layout.origin(9)) == (9, 0, 0)


def test_neighbour_moves_and_clamps():
    layout = make_layout(10, 4, 4)  # rows of 4: 0-3, 4-7, 8-9
    assert layout.neighbour(5, 0, 1) == 6
    assert layout.neighbour(5, 0, -1) == 4
    assert layout.neighbour(5, -1, 0) == 1
    assert layout.neighbour(5, 1, 0) == 9
    assert layout.neighbour(0, -1, 0) == 0
    assert layout.neighbour(0, 0, -1) == 0
    assert layout.neighbour(3, 0, 1) == 3  # right edge
    assert layout.neighbour(4, 0, -1) == 4  # left edge: no wrap to the previous row
    assert layout.neighbour(9, 1, 0) == 9  # bottom edge
    assert layout.neighbour(9, 0, 1) == 9  # last channel
    assert layout.neighbour(7, 1, 0) == 9  # below is empty: the last channel


def test_layout_aspect_widens_the_grid():
    square = make_layout(64, 8, 8)
    wide = make_layout(64, 8, 8, aspect=4.0)
    assert (square.rows, square.cols) == (8, 8)
    assert wide.cols > wide.rows
    assert wide.rows * wide.cols >= 64


# --------------------------------------------------------------------------- normalisation


def two_channels():
    """Channel 0 spans 0..1, channel 1 spans 0..0.5."""
    ramp = np.linspace(0.0, 1.0, 16, dtype=np.float32).reshape(4, 4)
    return np.stack([ramp, ramp * 0.5]) + 3.0  # an offset that normalisation must remove


def test_per_layer_keeps_relative_brightness():
    values = normalise(two_channels(), contrast=0.0)
    assert values.dtype == np.float32
    assert values.min() == pytest.approx(0.0)
    assert values.max() == pytest.approx(1.0)
    assert values[0].max() == pytest.approx(1.0)
    assert values[1].max() == pytest.approx(0.5)
    assert np.allclose(values[1], values[0] * 0.5, atol=1e-6)


def test_per_channel_stretches_each_channel():
    values = normalise(two_channels(), contrast=1.0)
    for channel in values:
        assert channel.min() == pytest.approx(0.0)
        assert channel.max() == pytest.approx(1.0)
    assert np.allclose(values[0], values[1], atol=1e-6)


def test_partial_contrast_is_in_between():
    values = normalise(two_channels(), contrast=0.5)
    assert values[1].max() == pytest.approx(0.75)


def test_constant_channels_do_not_divide_by_zero():
    maps = np.zeros((3, 2, 2), dtype=np.float32)
    maps[1] = 5.0
    for contrast in (0.0, 1.0):
        values = normalise(maps, contrast=contrast)
        assert np.isfinite(values).all()
        assert values.min() >= 0 and values.max() <= 1
    flat = normalise(np.full((2, 3, 3), 7.0, dtype=np.float32))
    assert np.isfinite(flat).all()


def test_gamma_below_one_lifts_mid_values():
    maps = np.linspace(0.0, 1.0, 9, dtype=np.float32).reshape(1, 3, 3)
    plain = normalise(maps, gamma=1.0)
    lifted = normalise(maps, gamma=0.5)
    mid = (plain > 0) & (plain < 1)
    assert (lifted[mid] > plain[mid]).all()
    assert lifted.min() == pytest.approx(0.0)
    assert lifted.max() == pytest.approx(1.0)
    assert np.allclose(lifted, np.sqrt(plain), atol=1e-6)


# --------------------------------------------------------------------------- the picture


def test_vector_layers_become_one_pixel_tiles():
    vector = np.arange(10, dtype=np.float32)
    assert as_maps(vector).shape == (10, 1, 1)
    rgb, layout = mosaic(vector, cmap="grey")
    assert (layout.tile_h, layout.tile_w, layout.pad) == (1, 1, 0)
    assert rgb.shape == layout.shape + (3,)
    for channel in range(10):
        y, x = layout.origin(channel)
        assert layout.locate(y, x) == (channel, 0, 0)
        assert has_colour_of(rgb[y, x], "grey", channel / 9)


def test_as_maps_other_shapes():
    assert as_maps(np.zeros((5, 6))).shape == (1, 5, 6)
    assert as_maps(np.zeros((2, 3, 4, 5))).shape == (6, 4, 5)
    maps = np.zeros((3, 4, 5))
    assert as_maps(maps) is maps


def has_colour_of(pixel, cmap: str, value: float, slack: int = 2) -> bool:
    """Whether `pixel` is the colormap's colour for `value` in [0, 1], give or take `slack` of 255 steps."""
    lut = colormap_lut(cmap)
    centre = round(value * 255)
    near = lut[max(0, centre - slack) : centre + slack + 1]
    return bool((near == np.asarray(pixel)).all(axis=1).any())


@pytest.mark.parametrize("cmap", COLORMAPS)
def test_rgb_shape_tiles_and_gutters(cmap):
    channels, h, w = 10, 5, 3
    act = np.stack([np.full((h, w), float(c)) for c in range(channels)]).astype(np.float32)
    rgb, layout = mosaic(act, cmap=cmap)
    assert rgb.dtype == np.uint8
    assert rgb.flags.c_contiguous
    assert rgb.shape == layout.shape + (3,)
    tile = np.zeros(layout.shape, dtype=bool)
    for channel in range(channels):
        y, x = layout.origin(channel)
        tile[y : y + h, x : x + w] = True
        block = rgb[y : y + h, x : x + w]
        assert (block == block[0, 0]).all(), channel  # a constant channel is one colour
        assert has_colour_of(block[0, 0], cmap, channel / (channels - 1)), channel
    assert (~tile).any()
    assert (rgb[~tile] == PAD_RGB).all()


def test_the_brightest_unit_gets_the_top_colour():
    rng = np.random.default_rng(0)
    act = rng.normal(size=(6, 4, 4)).astype(np.float32)
    c, i, j = np.unravel_index(np.argmax(act), act.shape)
    rgb, layout = mosaic(act)
    y, x = layout.origin(c)
    lut = colormap_lut()
    assert tuple(rgb[y + i, x + j]) == tuple(lut[255])
    c, i, j = np.unravel_index(np.argmin(act), act.shape)
    y, x = layout.origin(c)
    assert tuple(rgb[y + i, x + j]) == tuple(lut[0])


def test_colormap_lut():
    for name in COLORMAPS:
        lut = colormap_lut(name)
        assert lut.shape == (256, 3)
        assert lut.dtype == np.uint8
    grey = colormap_lut("grey")
    assert (grey[:, 0] == np.arange(256)).all()


def test_upscale_nearest():
    rgb = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    big = upscale_nearest(rgb, 3)
    assert big.shape == (6, 6, 3)
    assert (big[0:3, 3:6] == rgb[0, 1]).all()
    assert upscale_nearest(rgb, 1) is rgb


def test_layout_is_a_value():
    assert make_layout(4, 2, 2) == Layout(4, 2, 2, 2, 2, 1)


@pytest.mark.parametrize("contrast, gamma", [(0.0, 1.0), (0.0, 0.5), (1.0, 1.0)])
def test_brightness_follows_normalised_value(contrast, gamma):
    rng = np.random.default_rng(1)
    act = rng.normal(size=(7, 5, 6)).astype(np.float32) * np.arange(1, 8, dtype=np.float32)[:, None, None]
    before = act.copy()
    rgb, layout = mosaic(act, contrast=contrast, gamma=gamma, cmap="grey")
    assert np.array_equal(act, before), "mosaic changed the activation it was given"
    values = normalise(act, contrast=contrast, gamma=gamma)
    assert np.array_equal(act, before), "normalise changed its input"
    brightness = np.empty(act.shape, dtype=int)
    for channel in range(act.shape[0]):
        y, x = layout.origin(channel)
        brightness[channel] = rgb[y : y + 5, x : x + 6, 0]
    assert np.abs(brightness - values * 255).max() <= 2
    order = np.argsort(values, axis=None, kind="stable")
    assert (np.diff(brightness.ravel()[order]) >= 0).all()
