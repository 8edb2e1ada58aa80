"""The same jobs on a GPU as on the CPU, compared with the CPU's answers: run where CUDA (or Apple's
MPS) is present, skipped with the reason where not. The rest of the suite runs on the CPU
(tests/conftest.py sets DLVIZ_DEVICE=cpu), so this module is what checks the device paths.

A GPU convolution may use TF32 or other kernels, so values are compared to a few per cent of their
range, and explanations by correlation, not bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlviz.core import devices
from dlviz.core.progress import Progress

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module", params=["cuda", "mps"])
def gpu(request):
    kind = request.param
    why = devices._why_not(kind)
    if why is not None:
        pytest.skip(f"no working {devices.TITLES[kind]} device here ({why})")
    from dlviz.core.models import load_model

    loaded = load_model(device=kind)
    assert loaded.device.type == kind and loaded.device_note is None
    return loaded


@pytest.fixture(scope="module")
def rgb(chelsea):
    from dlviz.core.images import load_image

    return load_image(chelsea)


def close(a, b, share=0.03):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and np.abs(a - b).max() <= share * max(1e-6, np.abs(b).max())


def correlated(a, b, least=0.9):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return np.corrcoef(a, b)[0, 1] >= least


def test_the_model_and_every_recorded_layer_are_on_the_device(gpu):
    assert all(p.device.type == gpu.device.type for p in gpu.model.parameters())
    from dlviz.core.activations import run

    forward = run(gpu, gpu.preprocess.to_tensor(np.zeros((224, 224, 3), np.uint8)))
    # On MPS every layer is brought to the CPU in the worker: the GUI thread must not use the device.
    where = "cpu" if gpu.device.type == "mps" else gpu.device.type
    assert all(forward.activations.tensor(name).device.type == where for name in forward.activations.kept)
    assert isinstance(forward.activations[gpu.start_layer], np.ndarray)  # to the CPU only when read


def test_forward_eager_and_traced_give_the_cpu_answer(gpu, bundled, rgb):
    from dlviz.work import toolbox as jobs

    cpu = jobs.forward(Progress(), bundled, rgb)
    eager = jobs.forward(Progress(), gpu, rgb)
    assert eager.forward.top(1)[0][0] == cpu.forward.top(1)[0][0]
    assert close(eager.forward.probs, cpu.forward.probs)
    for name in (gpu.start_layer, gpu.layer_names[0], gpu.layer_names[-1]):
        assert close(eager.forward.activations[name], cpu.forward.activations[name]), name
    frames = [jobs.forward(Progress(), gpu, rgb, traced=True) for _ in range(3)]  # the third is traced
    assert close(frames[-1].forward.activations[gpu.start_layer], cpu.forward.activations[gpu.start_layer])


@pytest.mark.parametrize("method", ["gradient", "guided", "deconv", "smoothgrad"])
def test_backprop(gpu, bundled, rgb, method):
    from dlviz.core import attribution

    layer, unit = bundled.start_layer, 3
    cpu = attribution.backprop(bundled.model, bundled.preprocess.to_tensor(rgb), layer, unit, method, samples=4)
    on = attribution.backprop(gpu.model, gpu.preprocess.to_tensor(rgb), layer, unit, method, samples=4)
    assert on.dtype == np.float32 and on.shape == cpu.shape and np.isfinite(on).all()
    assert correlated(on, cpu)


def test_class_attention_maps_and_the_randomised_check(gpu, bundled, rgb):
    from dlviz.core import attribution
    from dlviz.work import toolbox as jobs

    layer = attribution.default_cam_layer(gpu)
    methods = ["gradcam", "gradcam++", "layercam", "scorecam"]
    cpu = jobs.cam(Progress(), bundled, rgb, layer, 282, methods)
    on = jobs.cam(Progress(), gpu, rgb, layer, 282, methods, randomise=3)
    for method in methods:
        assert correlated(on.trained[method], cpu.maps[method]), method
        assert on.maps[method].shape == cpu.maps[method].shape
    assert all(p.device.type == gpu.device.type for p in attribution.randomised(gpu.model, 3).parameters())


def test_feature_vis_raises_its_unit(gpu):
    from dlviz.core import featurevis

    result = featurevis.visualise(gpu, gpu.start_layer, 5, featurevis.Settings(steps=32, size=64))
    assert result.image.shape == (64, 64, 3) and result.activation > result.start_activation
    batch = featurevis.visualise_layer(gpu, gpu.start_layer, [1, 2, 3], featurevis.Settings(steps=16, size=64), batch=3)
    assert [r.unit for r in batch] == [1, 2, 3]


def test_top_images_scan_and_folder_features_match_the_cpu(gpu, bundled, samples, tmp_path):
    from dlviz.core import features, topimages

    layer = bundled.start_layer
    cpu = topimages.scan(bundled, samples, layer, 2)
    on = topimages.scan(gpu, samples, layer, 2)
    assert (on.index[0] == cpu.index[0]).mean() > 0.95
    assert abs(topimages.receptive_field(gpu.model, layer) - topimages.receptive_field(bundled.model, layer)) <= 2
    a = features.folder_features(bundled, samples, cache_dir=tmp_path / "cpu")
    b = features.folder_features(gpu, samples, cache_dir=tmp_path / "gpu")  # not the CPU's, from a cache
    assert close(b.vectors, a.vectors)


def test_nearest_neighbours_on_the_device(gpu):
    from dlviz.core.neighbours import knn, recall

    rng = np.random.default_rng(0)
    x = (rng.normal(size=(30, 32)) * 4)[rng.integers(0, 30, 3000)] + rng.normal(size=(3000, 32))
    x = x.astype(np.float32)
    for exact in (True, False):  # the same search on the CPU and on the device
        truth, _ = knn(x, 15, exact=exact)
        found, distances = knn(x, 15, exact=exact, device=gpu.device.type)
        assert found.shape == (3000, 15) and np.isfinite(distances).all()
        assert recall(found, truth) > 0.98


def test_perturb_attention_crop_and_live_frames(gpu, bundled, rgb):
    from dlviz.core import glimpse, perturb
    from dlviz.core.frames import Frame
    from dlviz.work import toolbox as jobs

    crops = np.stack([bundled.preprocess.crop_rgb(rgb)] * 3)
    assert close(perturb.probabilities(gpu, crops), perturb.probabilities(bundled, crops))
    target = ("unit", bundled.start_layer, 3)
    assert close(perturb.score_batch(gpu, crops, target), perturb.score_batch(bundled, crops, target))
    height, width = rgb.shape[:2]
    look = glimpse.look(gpu, rgb, (0.0, 0.0, float(width), float(height)))
    assert look is not None
    frame = Frame(rgb, 0, 0.0)
    result = jobs.live_frame(Progress(), gpu, frame)
    assert result.forward.forward.top(1)[0][0] == jobs.forward(Progress(), bundled, rgb).forward.top(1)[0][0]
