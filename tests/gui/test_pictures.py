"""dlviz.gui.widgets.pictures.ImageItem: pyqtgraph's picture in the format the screen draws
directly, with the same pixels."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("kind", ["map", "rgb", "rgba"])
def test_the_picture_is_premultiplied_and_shows_pyqtgraphs_pixels(qapp, kind):
    import pyqtgraph as pg
    from PySide6.QtGui import QImage

    from dlviz.gui import style
    from dlviz.gui.widgets.pictures import ImageItem

    rng = np.random.default_rng(5)
    image, options = {
        "map": (rng.random((14, 17)).astype(np.float32), {"levels": (0.1, 0.9)}),
        "rgb": (rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), {"levels": (0, 255)}),
        "rgba": (rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), {"levels": (0, 255)}),
    }[kind]
    ours, theirs = ImageItem(), pg.ImageItem()
    for item in (ours, theirs):
        if kind == "map":
            item.setLookupTable(style.colormap("ember").getLookupTable(nPts=256))
        item.setImage(image, **options)
        item.render()
    assert theirs.qimage.format() != QImage.Format_ARGB32_Premultiplied  # what the item fixes
    assert ours.qimage.format() == QImage.Format_ARGB32_Premultiplied
    assert ours.qimage == theirs.qimage.convertToFormat(QImage.Format_ARGB32_Premultiplied)
