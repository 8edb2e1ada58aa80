"""How long a long job will take, roughly, from the time of one forward pass of the model on this
machine (the window measures it with every image): so the user hears before a job of minutes or
hours starts, not after waiting at 1 %.

The constants are the costs measured against one forward pass of the bundled model on a 2-core
CPU (benchmarks/attribution.py and a feature-vis run); within a factor of two elsewhere.
"""

from __future__ import annotations

import math

FEATURE_BATCH = 8  # units optimised together (dlviz.core.featurevis.visualise_layer's default)


def feature_vis(units: int, steps: int, size: int, forward_ms: float, input_size: int = 224,
                batch: int = FEATURE_BATCH) -> float:
    """Seconds to optimise `units` images for `steps` steps at `size` pixels, `batch` at a time."""
    batch = min(max(units, 1), batch)
    batches = math.ceil(max(units, 1) / batch)
    # In forward passes of one image at input_size: forward to the layer, backward, transforms. A
    # batch costs less than its images one by one (batch ** 0.85): measured at 64 and 128 px,
    # batches of 1, 8 and 32, on the bundled model and resnet18, channels-last (benchmarks/featurevis.py).
    per_step = 0.3 + 1.8 * (size / input_size) ** 2 * batch ** 0.85
    return batches * steps * per_step * forward_ms / 1000


def occlusion(patch: int, stride: int, forward_ms: float, input_size: int = 224) -> float:
    """Seconds for an occlusion map: one batched pass per patch position."""
    positions = (math.ceil(max(input_size - patch, 0) / max(stride, 1)) + 1) ** 2
    return positions * 1.2 * forward_ms / 1000


def score_cam(channels: int, forward_ms: float, looks: int = 1) -> float:
    """Seconds for Score-CAM: one masked pass per channel of the layer (batched), per look."""
    return looks * channels * 0.6 * forward_ms / 1000
