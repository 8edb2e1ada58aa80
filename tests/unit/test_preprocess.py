"""dlviz.core.preprocess: the traced `prepare` of live frames gives the steps' own pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlviz.core import preprocess
from dlviz.core.preprocess import BUNDLED_PREPROCESS, Preprocess


@pytest.mark.parametrize("steps", [BUNDLED_PREPROCESS, Preprocess(), Preprocess(fit="stretch")],
                         ids=["bicubic", "bilinear", "stretch"])
@pytest.mark.parametrize("shape", [(360, 480, 3), (301, 451, 3), (224, 224, 3)])
def test_prepare_gives_the_crop_and_tensor_of_the_steps_one_by_one(steps, shape):
    """Frame after frame of one size (the second and later through the trace), each frame's own
    pixels: the trace's constants are not changed by a call."""
    rng = np.random.default_rng(sum(shape))
    for call in range(4):
        rgb = rng.integers(0, 256, shape, dtype=np.uint8)
        crop, x = steps.prepare(rgb)
        want = steps.crop_rgb(rgb)
        assert np.array_equal(crop, want) and crop.flags["C_CONTIGUOUS"]
        assert torch.equal(x, steps.normalise(want))
    assert isinstance(preprocess._PREPARED[(steps, shape)], torch.jit.ScriptFunction)


def test_a_size_pillow_resizes_is_prepared_by_the_steps():
    rgb = np.random.default_rng(0).integers(0, 256, (100, 2000, 3), dtype=np.uint8)
    for _ in range(3):
        crop, x = BUNDLED_PREPROCESS.prepare(rgb)
    assert (BUNDLED_PREPROCESS, rgb.shape) not in preprocess._PREPARED  # nothing traced for it
    assert np.array_equal(crop, BUNDLED_PREPROCESS.crop_rgb(rgb))


def test_the_traced_sizes_kept_are_bounded():
    steps = Preprocess(crop=32, resize=36)
    for width in range(40, 40 + 3 * preprocess._PREPARED_SIZES):
        steps.prepare(np.zeros((40, width, 3), np.uint8))
    assert len(preprocess._PREPARED) <= preprocess._PREPARED_SIZES
