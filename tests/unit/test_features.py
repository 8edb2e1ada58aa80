"""Points made by the model: class rows, pooled image features (checked against their definition),
the on-disk cache, skipped images, progress, cancel and thumbnails."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dlviz.core.activations import ActivationRecorder, active_hooks
from dlviz.core.errors import Cancelled, ImageError
from dlviz.core.features import class_points, classifier, folder_features, thumbnails
from dlviz.core.images import image_files_in, load_image
from dlviz.core.vectors import VectorError
from dlviz.core.progress import Callbacks


def _unit(v):
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_class_points_are_the_classifier_rows(bundled):
    points = class_points(bundled)
    assert points.vectors.shape == (1000, 1280) and points.vectors.dtype == np.float32
    np.testing.assert_array_equal(points.vectors, bundled.model.classifier.weight.detach().numpy())
    assert list(points.meta) == ["class", "index", "group"] and points.label_column == "class"
    assert points.labels()[207] == "golden retriever" and points.meta["index"][207] == "207"
    assert points.layout is None and "efficientnet_lite0" in points.name


def test_dogs_lie_next_to_dogs(bundled):
    points = class_points(bundled)
    v = _unit(points.vectors)
    nearest = np.argsort(-(v @ v[207]))[1:11]
    dogs = [i for i in nearest if 151 <= i <= 268]
    assert len(dogs) >= 7, [points.labels()[i] for i in nearest]


def test_imagenet_groups_follow_the_class_list(bundled):
    groups = class_points(bundled).meta["group"]
    names = class_points(bundled).labels()
    assert (groups == "dog").sum() == 118  # Chihuahua (151) to Mexican hairless (268)
    assert {names[i] for i in np.flatnonzero(groups == "cat")} >= {"tabby", "tiger cat", "Persian cat", "lion", "cheetah"}
    assert groups[list(names).index("espresso")] == "food" and groups[list(names).index("volcano")] == "landscape"
    assert groups[list(names).index("goldfish")] == groups[list(names).index("puffer")] == "fish"
    assert groups[list(names).index("abacus")] == "object"


def test_the_class_layout_puts_dogs_beside_dogs(bundled):
    from dlviz.core.embedding import Settings, embed

    points = class_points(bundled)
    layout = embed(points.vectors, Settings(method="umap", metric="cosine"))
    dog = points.meta["group"] == "dog"
    gaps = np.linalg.norm(layout[dog][:, None] - layout[None], axis=2)
    nearest = np.argsort(gaps, axis=1)[:, 1:11]
    assert dog[nearest].mean() > 0.8  # on the picture, a dog's ten nearest classes are dogs


def test_classifier_found_in_torchvision_and_1x1_conv_models():
    import torchvision

    name, layer = classifier(torchvision.models.resnet18(weights=None), 1000)
    assert name == "fc" and layer.out_features == 1000
    name, layer = classifier(torchvision.models.squeezenet1_1(weights=None), 1000)
    assert name == "classifier.1" and tuple(layer.weight.shape) == (1000, 512, 1, 1)
    with pytest.raises(VectorError, match="7 outputs"):
        classifier(torchvision.models.resnet18(weights=None), 7)


@pytest.fixture(scope="module")
def features(bundled, samples, tmp_path_factory):
    return folder_features(bundled, samples, cache_dir=tmp_path_factory.mktemp("cache"))


def test_default_features_are_the_classifier_input(bundled, samples, features):
    files = image_files_in(samples)
    assert features.vectors.shape == (len(files), 1280)
    assert list(features.meta) == ["file", "folder", "top class"] and features.label_column == "file"
    assert list(features.meta["file"]) == [p.name for p in files]
    assert set(features.meta["folder"]) == {"samples"}
    assert features.images == [str(p.resolve()) for p in files]
    assert features.skipped == []
    x = bundled.preprocess.to_tensor(load_image(samples / "chelsea.png"))
    with torch.inference_mode():
        expected = bundled.model.forward_head(bundled.model.forward_features(x), pre_logits=True)[0].numpy()
    row = list(features.meta["file"]).index("chelsea.png")
    np.testing.assert_allclose(features.vectors[row], expected, rtol=1e-4, atol=1e-4)
    assert features.meta["top class"][row] == "tiger cat"
    assert features.meta["top class"][list(features.meta["file"]).index("coffee.png")] == "espresso"
    assert active_hooks(bundled.model) == 0


def test_a_named_layer_is_global_average_pooled(bundled, samples, tmp_path):
    points = folder_features(bundled, samples, layer="blocks.3", cache_dir=tmp_path)
    assert points.vectors.shape == (6, 80)
    x = bundled.preprocess.to_tensor(load_image(samples / "china.jpg"))
    with torch.inference_mode(), ActivationRecorder(bundled.model, ["blocks.3"]) as rec:
        bundled.model(x)
    expected = rec.outputs["blocks.3"][0].mean(dim=(1, 2)).numpy()
    np.testing.assert_allclose(points.vectors[2], expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(VectorError, match="no layer 'blocks.99'"):
        folder_features(bundled, samples, layer="blocks.99", cache_dir=tmp_path)


def test_second_call_reads_the_cache_without_running_the_model(bundled, samples, tmp_path):
    calls = []
    handle = bundled.model.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape[0]))
    try:
        first = folder_features(bundled, samples, batch=4, cache_dir=tmp_path)
        assert calls == [4, 2]
        assert len(list(tmp_path.glob("features-*.npz"))) == 1
        second = folder_features(bundled, samples, batch=4, cache_dir=tmp_path)
        assert calls == [4, 2]  # no new forward pass
        np.testing.assert_array_equal(first.vectors, second.vectors)
        assert list(first.meta["top class"]) == list(second.meta["top class"])
        # Another layer is another key.
        folder_features(bundled, samples, layer="blocks.5", batch=8, cache_dir=tmp_path)
        assert calls == [4, 2, 6]
    finally:
        handle.remove()


def test_a_changed_folder_is_computed_again(bundled, samples, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("chelsea.png", "coffee.png"):
        shutil.copy(samples / name, folder / name)
    assert len(folder_features(bundled, folder, cache_dir=tmp_path / "c")) == 2
    shutil.copy(samples / "china.jpg", folder / "china.jpg")
    again = folder_features(bundled, folder, cache_dir=tmp_path / "c")
    assert list(again.meta["file"]) == ["chelsea.png", "china.jpg", "coffee.png"]
    assert len(list((tmp_path / "c").glob("features-*.npz"))) == 2


def test_unreadable_images_are_skipped_and_listed(bundled, samples, tmp_path):
    folder = tmp_path / "cats"
    folder.mkdir()
    shutil.copy(samples / "chelsea.png", folder / "a.png")
    (folder / "b.jpg").write_bytes(b"not a picture at all")
    shutil.copy(samples / "coffee.png", folder / "c.png")
    progress = []
    points = folder_features(bundled, folder, batch=2, cache_dir=tmp_path / "c",
                             progress=Callbacks(lambda f, text, p: progress.append((f, text))))
    assert list(points.meta["file"]) == ["a.png", "c.png"] and len(points.vectors) == 2
    assert list(points.meta["folder"]) == ["cats", "cats"]
    assert points.images == [str(folder / "a.png"), str(folder / "c.png")]
    assert len(points.skipped) == 1
    path, sentence = points.skipped[0]
    assert path.endswith("b.jpg") and "b.jpg" in sentence
    assert progress == [(2 / 3, "2 of 3 images"), (1.0, "3 of 3 images")]


def test_stop_raises_cancelled_between_batches(bundled, samples, tmp_path):
    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(Cancelled):
        folder_features(bundled, samples, batch=2, progress=Callbacks(should_stop=stop), cache_dir=tmp_path)
    assert len(asked) == 2
    assert not list(tmp_path.glob("features-*.npz"))
    assert active_hooks(bundled.model) == 0


def test_folder_errors(bundled, tmp_path):
    with pytest.raises(ImageError, match="is not a folder"):
        folder_features(bundled, tmp_path / "nothing", cache_dir=tmp_path)
    with pytest.raises(ImageError, match="holds no images .*, nor do its subfolders"):
        folder_features(bundled, tmp_path, cache_dir=tmp_path)
    (tmp_path / "x.png").write_bytes(b"junk")
    with pytest.raises(VectorError, match="None of the 1 images"):
        folder_features(bundled, tmp_path, cache_dir=tmp_path)


def test_thumbnails_letterbox_and_grey_for_unreadable(tmp_path):
    wide = np.zeros((50, 200, 3), np.uint8)
    wide[..., 0] = 255
    Image.fromarray(wide).save(tmp_path / "wide.png")
    (tmp_path / "bad.jpg").write_bytes(b"junk")
    tiles = thumbnails([tmp_path / "wide.png", tmp_path / "bad.jpg", tmp_path / "missing.png"], size=64)
    assert tiles.shape == (3, 64, 64, 3) and tiles.dtype == np.uint8
    assert (tiles[0, 32, :, 0] == 255).all()  # the red band fills the width ...
    assert (tiles[0, 0] == 128).all() and (tiles[0, 63] == 128).all()  # ... letterboxed in grey
    red_rows = np.nonzero((tiles[0, :, 32] == [255, 0, 0]).all(axis=1))[0]
    assert 15 <= len(red_rows) <= 17
    assert (tiles[1:] == 128).all()


def test_feature_hook_ignores_passes_from_other_threads(bundled):
    """The explorer's worker and the main window's share one model object."""
    import threading

    import torch

    from dlviz.core.features import _Tap

    x = torch.zeros(1, 3, 224, 224)
    with _Tap(bundled.model.classifier, inputs=True) as tap, torch.no_grad():
        other = threading.Thread(target=lambda: bundled.model(x))
        other.start()
        other.join()
        assert tap.value is None
        bundled.model(x)
        assert tap.value is not None and tap.value.shape == (1, 1280)
    assert active_hooks(bundled.model) == 0


def test_a_folder_per_class_dataset_is_read_whole_and_labelled_by_folder(bundled, samples, tmp_path):
    import shutil

    for sub, names in (("cats", ["chelsea.png"]), ("drinks", ["coffee.png"]), ("drinks/hot", ["coffee.png"])):
        (tmp_path / "data" / sub).mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(samples / name, tmp_path / "data" / sub / name)
    (tmp_path / "data" / ".hidden").mkdir()
    shutil.copy(samples / "chelsea.png", tmp_path / "data" / ".hidden" / "x.png")
    points = folder_features(bundled, tmp_path / "data", cache_dir=tmp_path / "cache")
    assert list(points.meta["file"]) == ["cats/chelsea.png", "drinks/coffee.png", "drinks/hot/coffee.png"]
    assert list(points.meta["folder"]) == ["cats", "drinks", "drinks/hot"]
    assert all(Path(p).is_file() for p in points.images)
    assert np.allclose(points.vectors[1], points.vectors[2], atol=1e-5)  # the same photo twice
