"""Attention crops and glimpses (dlviz.core.glimpse): boxes on maps, the way back to the original's
pixels, crops cut at full resolution, glimpses on composed images, and the fovea."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dlviz.core import glimpse as gl
from dlviz.core.images import load_image
from dlviz.core.preprocess import BUNDLED_PREPROCESS, Preprocess
from dlviz.core.progress import Callbacks

CANVAS = (1200, 900)


def blob(size=(224, 224), centre=(60, 150), sigma=12.0):
    height, width = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * sigma**2)).astype(np.float32)


def iou_and_cover(box, target):
    ix = max(0.0, min(box[2], target[2]) - max(box[0], target[0]))
    iy = max(0.0, min(box[3], target[3]) - max(box[1], target[1]))
    inter = ix * iy
    area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
    return inter / (area(box) + area(target) - inter), inter / area(target)


def compose(photo, scale, place, background="grey", seed=0):
    """`photo` shrunk so its longer side is `scale` × the canvas's shorter side, centred at
    `place` (fractions) on a 1200×900 grey or blocky-noise canvas. Returns (canvas, paste box)."""
    width, height = CANVAS
    if background == "grey":
        canvas = np.full((height, width, 3), 128, np.uint8)
    else:
        blocks = np.random.default_rng(seed).integers(40, 216, (height // 30 + 1, width // 30 + 1, 3), dtype=np.uint8)
        canvas = np.array(Image.fromarray(blocks).resize((width, height), Image.Resampling.BILINEAR))
    ph, pw = photo.shape[:2]
    factor = scale * min(width, height) / max(pw, ph)
    w, h = round(pw * factor), round(ph * factor)
    x, y = round(place[0] * width - w / 2), round(place[1] * height - h / 2)
    canvas[y:y + h, x:x + w] = np.asarray(Image.fromarray(photo).resize((w, h), Image.Resampling.LANCZOS))
    return canvas, (x, y, x + w, y + h)


# --------------------------------------------------------------------------- boxes on maps


def test_box_sits_around_a_gaussian_blob_and_is_square():
    x0, y0, x1, y1 = gl.attention_box(blob(), mode="threshold", level=0.5, margin=0.0)
    assert x0 < 60 < x1 and y0 < 150 < y1
    assert x1 - x0 == pytest.approx(y1 - y0)
    # exp(-d²/2σ²) = 0.5 at d = 1.18σ: the tight box is about 2 × 14 px wide
    assert 24 <= x1 - x0 <= 32
    assert gl.peak(blob()) == (60, 150)


def test_margin_and_aspect_are_honoured():
    tight = gl.attention_box(blob(), level=0.5, margin=0.0, aspect="free")
    grown = gl.attention_box(blob(), level=0.5, margin=0.25, aspect="free")
    width = tight[2] - tight[0]
    assert grown[2] - grown[0] == pytest.approx(1.5 * width)
    assert (grown[0] + grown[2]) / 2 == pytest.approx((tight[0] + tight[2]) / 2)
    wide = gl.attention_box(blob(), level=0.5, margin=0.0, aspect=2.0)
    assert (wide[2] - wide[0]) / (wide[3] - wide[1]) == pytest.approx(2.0)
    assert gl.attention_box(blob(), level=0.5, margin=0.0, aspect=2.0)[3] - wide[1] == pytest.approx(width)


def test_box_at_a_border_is_shifted_inside_keeping_its_size():
    corner = blob(centre=(3, 220), sigma=20.0)
    x0, y0, x1, y1 = gl.attention_box(corner, level=0.3, margin=0.3)
    assert x0 == 0 and y1 == 224
    assert x1 - x0 == pytest.approx(y1 - y0)
    huge = gl.attention_box(np.ones((10, 30), np.float32) + blob((10, 30), (15, 5), 3.0), level=0.1, margin=1.0)
    assert huge == (0.0, 0.0, 30.0, 10.0)  # larger than the map: cut to it
    assert gl.attention_box(np.zeros((7, 7), np.float32)) == (0.0, 0.0, 7.0, 7.0)


def test_only_the_region_holding_the_peak_counts():
    two = blob(centre=(40, 40)) + 0.9 * blob(centre=(180, 180))
    x0, y0, x1, y1 = gl.attention_box(two, level=0.5, margin=0.0)
    assert x1 < 100 and y1 < 100


def test_percentile_mode():
    heat = blob(sigma=20.0)
    loose = gl.attention_box(heat, mode="percentile", level=0.5, margin=0.0)
    tight = gl.attention_box(heat, mode="percentile", level=0.99, margin=0.0, min_size=0.0)
    assert tight[2] - tight[0] < loose[2] - loose[0]
    area = (tight[2] - tight[0]) * (tight[3] - tight[1])
    assert area == pytest.approx(0.01 * 224 * 224, rel=0.35)  # 1% of the pixels, squared up
    with pytest.raises(ValueError):
        gl.attention_box(heat, mode="otsu")
    with pytest.raises(ValueError):
        gl.attention_box(heat, aspect="tall")


# --------------------------------------------------------------------------- coordinates and crops


@pytest.mark.parametrize("size", [(451, 300), (300, 451), (1200, 900)])
def test_to_original_round_trips_through_the_preprocess_crop_box(size):
    width, height = size
    crop_box = BUNDLED_PREPROCESS.crop_box(width, height)
    assert gl.to_original((0, 0, 224, 224), crop_box, 224) == pytest.approx(crop_box)
    box = (10.5, 20.0, 100.0, 200.25)
    there = gl.to_original(box, crop_box, 224)
    assert gl.from_original(there, crop_box, 224) == pytest.approx(box)
    # the crop's pixels: the original's pixels at that box, resized the preprocess's way
    rgb = np.random.default_rng(1).integers(0, 256, (height, width, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(rgb).resize((224, 224), Image.Resampling.BICUBIC, box=crop_box))
    assert np.array_equal(gl.crop_original(rgb, crop_box, 224, resample="bicubic"), pillow)
    # and the model's own crop is the photo resized, then its centre cut out, to a level
    resized_width, resized_height = BUNDLED_PREPROCESS.resized_size(width, height)
    left, top = (resized_width - 224) // 2, (resized_height - 224) // 2
    whole = np.asarray(Image.fromarray(rgb).resize((resized_width, resized_height), Image.Resampling.BICUBIC))
    apart = np.abs(whole[top:top + 224, left:left + 224].astype(int) - BUNDLED_PREPROCESS.crop_rgb(rgb).astype(int))
    assert apart.max() <= 1 and (apart > 0).mean() < 0.01


def test_crop_outside_the_image_is_padded_with_the_fill_colour():
    rgb = np.full((100, 200, 3), 250, np.uint8)
    view = gl.letterbox_view(200, 100)
    assert view == (0.0, -50.0, 200.0, 150.0)
    out = gl.crop_original(rgb, view, 100, fill=(10, 20, 30))
    assert out.shape == (100, 100, 3)
    assert (out[:25] == (10, 20, 30)).all() and (out[75:] == (10, 20, 30)).all()
    assert (out[25:75] == 250).all()
    assert gl.fill_colour(BUNDLED_PREPROCESS) == (128, 128, 128)
    assert gl.fill_colour(Preprocess()) == (124, 116, 104)


def test_fit_view_keeps_the_size_and_cuts_only_the_reported_box():
    view, box = gl.fit_view((-50, 10, 150, 210), 400, 300)
    assert view == (0.0, 10.0, 200.0, 210.0) and box == view
    view, box = gl.fit_view((100, -100, 500, 300), 600, 200)  # taller than the image
    assert view == (100.0, -100.0, 500.0, 300.0)
    assert box == (100.0, 0.0, 500.0, 200.0)


# --------------------------------------------------------------------------- glimpses on composed images


@pytest.fixture(scope="module")
def coffee(samples):
    return load_image(samples / "coffee.png")


@pytest.fixture(scope="module")
def composed(bundled, coffee):
    """The espresso shrunk to 30% of the canvas, pasted low left on grey; two glimpses."""
    canvas, pasted = compose(coffee, 0.3, (0.25, 0.7))
    full, steps = gl.glimpses(bundled, canvas, 2)
    return canvas, pasted, full, steps


def test_first_glimpse_box_covers_the_pasted_photo(composed):
    canvas, pasted, full, steps = composed
    box = steps[0].box
    iou, cover = iou_and_cover(box, pasted)
    assert cover >= 0.9 and iou >= 0.45, (box, pasted)
    assert full.box == (0.0, 0.0, 1200.0, 900.0)
    # the second look, inside the first, stays on the photo
    iou2, cover2 = iou_and_cover(steps[1].box, pasted)
    assert iou2 >= 0.4 and cover2 >= 0.7
    b1, b2 = steps[0].box, steps[1].box
    assert b1[0] <= b2[0] + 1e-6 and b1[1] <= b2[1] + 1e-6 and b2[2] <= b1[2] + 1e-6 and b2[3] <= b1[3] + 1e-6


def test_glimpse_recovers_the_clean_label_the_full_canvas_misses(bundled, coffee, composed):
    from dlviz.core.activations import run

    clean = int(np.argmax(run(bundled, bundled.preprocess.to_tensor(coffee), layers=[]).probs))
    assert bundled.label(clean) == "espresso"
    _, _, full, steps = composed
    assert full.top[0][0] != clean
    assert steps[-1].top[0][0] == clean
    assert steps[-1].probs[clean] > 5 * full.probs[clean]


def test_glimpse_crops_come_from_the_original_resolution(bundled, composed):
    canvas, pasted, full, steps = composed
    glimpse = steps[-1]
    assert glimpse.crop.shape == (224, 224, 3) and glimpse.crop.dtype == np.uint8
    assert glimpse.cam.shape == (224, 224) and glimpse.cam.dtype == np.float32
    # the same pixels as cutting the canvas itself at that view (high-quality resize) ...
    direct = np.asarray(Image.fromarray(canvas).resize((224, 224), Image.Resampling.BICUBIC, box=glimpse.view))
    assert np.abs(direct.astype(int) - glimpse.crop).max() <= 1
    # ... and much sharper than enlarging the same region of the 224 px full view
    region = gl.from_original(glimpse.view, full.view, 224)
    enlarged = np.asarray(Image.fromarray(full.crop).resize((224, 224), Image.Resampling.BICUBIC, box=region))

    def detail(rgb):
        grey = rgb.astype(np.float32).mean(axis=2)
        return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())

    assert detail(glimpse.crop) > 1.5 * detail(enlarged)


def test_glimpses_on_a_cluttered_canvas(bundled, coffee):
    canvas, pasted = compose(coffee, 0.3, (0.7, 0.3), background="noise")
    seen = []
    full, steps = gl.glimpses(bundled, canvas, 2, progress=Callbacks(lambda f, t, p: seen.append(f)))
    assert iou_and_cover(steps[0].box, pasted)[1] >= 0.8
    assert bundled.label(steps[-1].top[0][0]) == "espresso" != bundled.label(full.top[0][0])
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


def test_a_fixed_class_places_every_box(bundled, composed):
    canvas, pasted, _, _ = composed
    cup = bundled.labels.index("cup")
    full, steps = gl.glimpses(bundled, canvas, 1, class_index=cup, method="layercam")
    assert [g.cam_class for g in (full, *steps)] == [cup, cup]
    assert iou_and_cover(steps[0].box, pasted)[1] >= 0.8


def test_glimpses_stop_when_asked_and_when_the_box_stops_shrinking(bundled, chelsea):
    rgb = load_image(chelsea)  # 451×300: already smaller than two model inputs
    assert gl.glimpses(bundled, rgb, 3, progress=Callbacks(should_stop=lambda: True)) == (None, [])
    full, steps = gl.glimpses(bundled, rgb, 5)
    assert len(steps) < 5
    for glimpse in steps:
        x0, y0, x1, y1 = glimpse.box
        assert 0 <= x0 < x1 <= 451 and 0 <= y0 < y1 <= 300
        assert min(x1 - x0, y1 - y0) >= 224 - 1e-6


# --------------------------------------------------------------------------- fovea


def test_fovea_is_sharp_at_the_fixation_and_blurred_far_from_it(chelsea):
    rgb = np.asarray(Image.open(chelsea).convert("RGB").resize((224, 224), Image.Resampling.BICUBIC))
    fovea = gl.Fovea(rgb, levels=4, radius=24)
    out = fovea.render((60, 100))
    assert out.shape == rgb.shape and out.dtype == np.uint8
    ys, xs = np.mgrid[0:224, 0:224]
    near = (xs + 0.5 - 60) ** 2 + (ys + 0.5 - 100) ** 2 <= 24**2
    assert np.array_equal(out[near], rgb[near])

    def energy(image, rows, cols):
        grey = image[rows, cols].astype(np.float32).mean(axis=2)
        return float(np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=0)).mean())

    far = (slice(150, 224), slice(150, 224))
    assert energy(out, *far) < 0.6 * energy(rgb, *far)
    assert fovea.level_map((60, 100)).max() == pytest.approx(3.0)
    # the same through the one-call function, also at another size
    assert np.array_equal(gl.foveate(rgb, (60, 100), radius=24), out)
    assert gl.foveate(np.asarray(Image.open(chelsea).convert("RGB")), (225, 150), out_size=112).shape == (112, 112, 3)


def test_map_scale_and_box_settings_may_differ_per_look(bundled, coffee):
    canvas, _ = compose(coffee, 0.3, (0.25, 0.7))
    height, width = canvas.shape[:2]
    fine_full, _ = gl.glimpses(bundled, canvas, 0, map_scale=2)
    coarse_full, _ = gl.glimpses(bundled, canvas, 0, map_scale=1)
    first, second = gl.BoxSettings(), gl.BoxSettings(level=0.8, margin=0.0)
    full, steps = gl.glimpses(bundled, canvas, 2, map_scale=(2, 1), settings=(first, second), min_side=0, stop_ratio=1.0)
    assert np.allclose(full.cam, fine_full.cam) and not np.allclose(full.cam, coarse_full.cam)
    assert len(steps) == 2
    # the first box placed by the first settings, the second (and any later) by the second
    assert steps[0].box == gl.next_view(full, width, height, first)[1]
    assert steps[1].box == gl.next_view(steps[0], width, height, second)[1]
    assert steps[1].box != gl.next_view(steps[0], width, height, first)[1]
    # the glimpses' maps at the input size: the same as a look at scale 1 of that view
    again = gl.look(bundled, canvas, steps[0].view, box=steps[0].box, map_scale=1)
    assert np.allclose(steps[0].cam, again.cam)

# --------------------------------------------------------------------------- the first box


def test_the_activity_map_boxes_a_small_photo_on_grey_and_on_clutter(bundled, coffee):
    """Where the last layer fires, any class, read at twice the input size as the first look
    reads it: the box around its peak holds most of the photo and not much more."""
    from dlviz.core.attribution import default_cam_layer

    layer = default_cam_layer(bundled)
    for background in ("grey", "noise"):
        for place in ((0.75, 0.25), (0.25, 0.7), (0.5, 0.5)):
            canvas, pasted = compose(coffee, 0.3, place, background=background)
            view = gl.letterbox_view(CANVAS[0], CANVAS[1])
            crop = gl.crop_original(canvas, view, 448, fill=gl.fill_colour(bundled.preprocess))
            heat = gl.activity_map(bundled, bundled.preprocess.normalise(crop), layer)
            assert heat.shape == (448, 448) and heat.dtype == np.float32
            assert heat.min() == 0.0 and heat.max() == pytest.approx(1.0)
            box = gl.to_original(gl.attention_box(heat), view, 448)
            iou, cover = iou_and_cover(box, pasted)
            assert iou >= 0.4 and cover >= 0.8, (background, place, box, pasted)


def test_the_first_box_is_tight_on_a_small_photo_in_a_corner(bundled, coffee):
    """A cup 300 px tall in a corner of a 1600×1200 canvas (the case the class map of the whole
    canvas boxed loosely, IoU 0.28): the first box now sits on it, and its crop is the cup."""
    width, height = 1600, 1200
    canvas = np.full((height, width, 3), 128, np.uint8)
    ph, pw = coffee.shape[:2]
    w = round(pw * 300 / ph)
    canvas[height - 330:height - 30, 30:30 + w] = np.asarray(Image.fromarray(coffee).resize((w, 300), Image.Resampling.LANCZOS))
    pasted = (30, height - 330, 30 + w, height - 30)
    full, steps = gl.glimpses(bundled, canvas, 1)
    assert full.map_kind == "activity" and steps[0].map_kind == "class"
    iou, cover = iou_and_cover(steps[0].box, pasted)
    assert iou >= 0.5 and cover >= 0.9, (steps[0].box, pasted)
    assert bundled.label(steps[0].top[0][0]) in ("espresso", "cup")
    # the same with the whole canvas's class map places it loosely
    _, before = gl.glimpses(bundled, canvas, 1, first_map="class", map_scale=1)
    assert iou_and_cover(before[0].box, pasted)[0] < iou


class _SizeChecked(__import__("torch").nn.Module):
    """A stem that asserts its input's size, as torchvision's and timm's ViTs do."""

    def __init__(self):
        from torch import nn

        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        import torch

        torch._assert(x.shape[-1] == 32, "wrong image width")
        return self.conv(x)


def test_a_model_that_refuses_a_larger_input_gets_its_map_at_the_input_size():
    import torch
    from torch import nn

    from dlviz.core.models import LoadedModel

    torch.manual_seed(0)
    rgb = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    flattening = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 32 * 32, 5))
    asserting = nn.Sequential(_SizeChecked(), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5))
    for net, layer in ((flattening, "1"), (asserting, "1")):  # a Linear's RuntimeError, a ViT-like AssertionError
        loaded = LoadedModel("fixed", net.eval(), Preprocess(resize=32, crop=32), None, "test")
        for kind in gl.MAP_KINDS:
            glimpse = gl.look(loaded, rgb, gl.letterbox_view(60, 40), layer=layer, map_scale=2, map_kind=kind)
            assert glimpse.cam.shape == (32, 32) and glimpse.map_kind == kind
            assert np.allclose(glimpse.cam, gl.look(loaded, rgb, gl.letterbox_view(60, 40), layer=layer, map_kind=kind).cam)
        full, steps = gl.glimpses(loaded, rgb, 1, layer=layer, min_side=0)  # the defaults (2x first) work too
        assert full.map_kind == "activity" and full.cam.shape == (32, 32)
