"""Occlusion and augmentations (dlviz.core.perturb), checked against what each one is defined to do."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dlviz.core import perturb
from dlviz.core.perturb import Augment, apply, occlude, occlusion_map, random_augment
from dlviz.core.progress import Callbacks

SIZE = 224
OBJECT = (112, 0, 224, 112)  # where the photo sits on the grey canvas: the top-right quarter


@pytest.fixture(scope="module")
def canvas(chelsea):
    """The cat photo shrunk to half the crop and pasted top-right on a plain grey canvas: the
    object's place is known by construction, and the rest is one constant colour."""
    from dlviz.core.images import load_image

    photo = load_image(chelsea)
    side = min(photo.shape[:2])
    square = photo[:side, (photo.shape[1] - side) // 2:][:, :side]
    x0, y0, x1, y1 = OBJECT
    small = np.asarray(Image.fromarray(square).resize((x1 - x0, y1 - y0), Image.Resampling.BICUBIC))
    image = np.full((SIZE, SIZE, 3), perturb.GREY, np.uint8)
    image[y0:y1, x0:x1] = small
    return image


@pytest.fixture(scope="module")
def top_class(bundled, canvas):
    probs = perturb.probabilities(bundled, canvas[None])[0]
    return int(probs.argmax()), float(probs.max())


@pytest.fixture(scope="module")
def class_map(bundled, canvas, top_class):
    """One 3×3 occlusion map (a patch of half the side, so one position hides the whole photo)."""
    return occlusion_map(bundled, canvas, patch=112, stride=56, target=("class", top_class[0]), batch=16)


def _photo(seed=0, size=64):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


# ---------------------------------------------------------------- occlusion
def test_occlude_paints_only_the_box():
    image = _photo()
    out = occlude(image, (10, 20, 30, 25), fill="grey")
    assert (out[20:25, 10:30] == 128).all()
    untouched = np.ones(image.shape[:2], bool)
    untouched[20:25, 10:30] = False
    assert (out[untouched] == image[untouched]).all()
    mean = occlude(image, (0, 0, 8, 8), fill="mean")[0, 0]
    assert np.abs(mean.astype(float) - image.reshape(-1, 3).mean(0)).max() <= 0.5
    assert (occlude(image, (-5, -5, 3, 3), fill="black")[:3, :3] == 0).all()  # clipped, not wrapped


def test_positions_cover_every_pixel():
    assert perturb.positions(224, 56, 56) == [0, 56, 112, 168]
    assert perturb.positions(224, 50, 60) == [0, 60, 120, 174]  # the last one reaches the edge
    assert perturb.patch_box(0, 300, 40, 224, 224) == (0, 184, 40, 224)


def test_hiding_the_object_drops_the_class_far_more_than_hiding_a_corner(bundled, canvas, top_class):
    index, clean = top_class
    on_object = perturb.probabilities(bundled, occlude(canvas, OBJECT)[None])[0, index]
    corner = perturb.probabilities(bundled, occlude(canvas, (0, 112, 112, 224), fill="black")[None])[0, index]
    assert clean > 0.2 and on_object < 0.05
    assert clean - on_object > 10 * abs(clean - corner)


def test_the_map_is_highest_on_the_object_and_zero_on_the_plain_background(class_map, top_class):
    assert class_map.shape == (SIZE, SIZE) and class_map.dtype == np.float32
    x0, y0, x1, y1 = OBJECT
    y, x = np.unravel_index(np.argmax(class_map), class_map.shape)
    assert x0 <= x < x1 and y0 <= y < y1, "the largest drop lies on the photo"
    # Where the probability falls lowest when hidden (the top-right corner, hidden only by the patch
    # that covers the whole photo) the drop is all of the class's probability.
    assert class_map[:56, 168:].min() > 0.9 * top_class[1]
    # Pixels whose every covering patch lies on the plain grey canvas: a grey patch there changes
    # no pixel of the input, so the drop is zero (up to batched-arithmetic noise).
    assert np.abs(class_map[168:, :56]).max() < 1e-4
    assert class_map[y0:y1, x0:x1].mean() > 0.5 * top_class[1]


def test_unit_target_progress_and_stop(bundled, canvas):
    layer = bundled.start_layer
    seen = []
    heat = occlusion_map(bundled, canvas, patch=112, stride=112, target=("unit", layer, 0), batch=2,
                         progress=Callbacks(lambda fraction, text, partial: seen.append((fraction, partial.shape))))
    assert heat.shape == (SIZE, SIZE) and np.isfinite(heat).all()
    assert [f for f, _ in seen] == [0.5, 1.0] and seen[0][1] == (SIZE, SIZE)
    calls = []
    assert occlusion_map(bundled, canvas, 112, 112, ("class", 0), batch=2,
                         progress=Callbacks(should_stop=lambda: calls.append(1) or len(calls) > 1)) is None


# ---------------------------------------------------------------- augmentations
def test_no_change_is_the_identity():
    image = _photo()
    assert Augment().is_identity() and Augment().changes() == []
    assert np.array_equal(apply(image, Augment()), image)
    assert np.array_equal(apply(image, Augment(noise_seed=7)), image)


def test_flip_mirrors_exactly():
    image = _photo()
    assert np.array_equal(apply(image, Augment(flip=True)), image[:, ::-1])


def test_rotate_a_quarter_turn_of_a_square_is_rot90():
    image = _photo()
    assert np.array_equal(apply(image, Augment(rotate=90)), np.rot90(image))
    assert np.array_equal(apply(image, Augment(rotate=-90)), np.rot90(image, -1))


def test_rotation_turns_the_same_way_at_every_angle():
    """89 degrees (resampled) lands where 90 (a quarter turn) does, not on the opposite side."""
    image = np.zeros((64, 64, 3), np.uint8)
    image[5:20, 40:60] = 255
    for angle in (89, -89):
        turned = apply(image, Augment(rotate=angle)).astype(float)
        same = np.abs(turned - np.rot90(image, 1 if angle > 0 else -1)).mean()
        opposite = np.abs(turned - np.rot90(image, -1 if angle > 0 else 1)).mean()
        assert same < 5 < opposite
    # A general angle goes through the affine warp: the centre stays, the corners come in black.
    turned = apply(image, Augment(rotate=45))
    assert (turned[0, 0] == 0).all() and turned.shape == image.shape


def test_shift_moves_the_picture():
    image = _photo()
    moved = apply(image, Augment(shift_x=0.25))  # 16 px to the right
    assert np.array_equal(moved[:, 16:], image[:, :-16])
    assert (moved[:, :16] == 0).all()


def test_zoom_and_crop_enlarge_the_middle():
    flat = np.zeros((64, 64, 3), np.uint8)
    flat[24:40, 24:40] = 255  # a white square in the middle: a quarter of the side
    for aug in (Augment(zoom=2.0), Augment(crop=0.5)):
        out = apply(flat, aug)
        assert abs((out[..., 0] > 127).mean() - 4 * (flat[..., 0] > 127).mean()) < 0.02, aug.changes()


def test_brightness_scales_the_mean_and_contrast_the_spread():
    image = np.clip(_photo().astype(int) // 2 + 40, 0, 255).astype(np.uint8)  # room to brighten
    darker = apply(image, Augment(brightness=0.5))
    assert darker.mean() == pytest.approx(image.mean() * 0.5, rel=0.02)
    brighter = apply(image, Augment(brightness=1.5))
    assert brighter.mean() == pytest.approx(image.mean() * 1.5, rel=0.02)
    flat = apply(image, Augment(contrast=0.5))
    assert flat.std() < image.std() * 0.6


def test_blur_smooths_and_noise_adds_spread():
    image = np.full((64, 64, 3), 100, np.uint8)
    image[:, 32:] = 160
    blurred = apply(image, Augment(blur=2.0))
    assert np.abs(np.diff(blurred.astype(int), axis=1)).max() < 60  # the hard edge is spread out
    assert blurred.mean() == pytest.approx(image.mean(), abs=1.0)
    noisy = apply(image, Augment(noise=20, noise_seed=3))
    assert (noisy.astype(float) - image).std() == pytest.approx(20, rel=0.1)
    assert np.array_equal(noisy, apply(image, Augment(noise=20, noise_seed=3)))  # deterministic
    assert not np.array_equal(noisy, apply(image, Augment(noise=20, noise_seed=4)))


def test_random_augment_is_reproducible_and_scales_with_strength():
    a = [random_augment(np.random.default_rng(5), 0.7) for _ in range(2)]
    assert a[0] == a[1] and random_augment(5, 0.7) == a[0]
    assert random_augment(6, 0.7) != a[0]
    assert random_augment(5, 0.0).is_identity()
    many = [random_augment(np.random.default_rng(s), 1.0) for s in range(50)]
    assert max(abs(m.rotate) for m in many) <= perturb.RANGES["rotate"]
    assert {m.flip for m in many} == {True, False}
    image = _photo()
    assert np.array_equal(apply(image, a[0]), apply(image, a[1]))
