"""The names of the methods and filters dlviz offers, with the words the window shows for them.

Torch-free on purpose: the window builds its menus and the command line its choices from here
before torch is imported. The algorithms check their `method` argument against these names.
Each table maps the name used in code, on the command line and in saved sessions to its display
name; the first entry is the default.
"""

from __future__ import annotations

# Why a unit fires: the gradient of its objective at the input pixels (dlviz.core.attribution.backprop).
BACKPROP_METHODS = {
    "gradient": "gradient",
    "guided": "guided backprop",
    "deconv": "deconvnet",
    "smoothgrad": "SmoothGrad",
}

# How a backprop view is drawn (the toolbox's filters; dlviz.core.attribution.display).
FILTERS = {
    "raw": "raw: signed, in colour",
    "grey": "grey: signed, one channel",
    "norm": "norm: strength per pixel",
    "norm-blur": "norm-blur: strength, smoothed",
}

# Where the model looks for a class (dlviz.core.attribution.cam).
CAM_METHODS = {
    "gradcam": "Grad-CAM",
    "gradcam++": "Grad-CAM++",
    "layercam": "LayerCAM",
    "scorecam": "Score-CAM",
}

# Layouts of points (dlviz.core.embedding.embed).
EMBED_METHODS = {
    "umap": "UMAP",
    "tsne": "t-SNE",
    "pca": "PCA",
}

# What feature visualisation maximises (dlviz.core.featurevis.Settings.kind).
FEATUREVIS_OBJECTIVES = {
    "channel": "the unit's whole map",
    "neuron": "its centre neuron",
    "class": "a class (the top one)",
}

# Where the model runs (dlviz.core.devices.choose): "auto" is the best one present, CUDA before
# Apple's MPS before the CPU.
DEVICES = {
    "auto": "Best Available",
    "cuda": "CUDA",
    "mps": "Apple MPS",
    "cpu": "CPU",
}


# torchvision classifiers the Model menu offers by name (any other can be typed in); their weights
# are downloaded once into torch's cache.
ZOO_MODELS = (
    "alexnet", "vgg16", "resnet18", "resnet50", "googlenet", "inception_v3", "densenet121",
    "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny", "regnet_y_800mf", "vit_b_16",
)


def default(table: dict) -> str:
    return next(iter(table))
