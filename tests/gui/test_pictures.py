"""dlviz.gui.widgets.pictures.ImageItem: pyqtgraph's picture in the format the screen draws
directly, with the same pixels."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("kind", ["map", "rgb", "rgba", "rgb slice"])
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
        "rgb slice": (rng.integers(0, 256, (40, 31, 3), dtype=np.uint8)[::2, 1:], {"levels": (0, 255)}),
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


def test_a_photo_goes_straight_into_its_picture(qapp, monkeypatch):
    """8-bit RGB shown as it is skips pyqtgraph's rescaling (about 1.2 ms of each live frame's
    GUI time); anything else still goes through it."""
    import pyqtgraph as pg

    from dlviz.gui.widgets.pictures import ImageItem

    rendered = []
    monkeypatch.setattr(pg.ImageItem, "render", lambda self: rendered.append(self))
    photo = np.zeros((8, 9, 3), dtype=np.uint8)
    for image, options, through_pyqtgraph in [
        (photo, {"levels": (0, 255)}, False),
        (photo, {"levels": (10, 200)}, True),
        (photo.astype(np.float32), {"levels": (0, 255)}, True),
        (photo[..., 0], {"levels": (0, 255)}, True),
    ]:
        item = ImageItem()
        item.setImage(image, **options)
        rendered.clear()
        item.render()
        assert bool(rendered) == through_pyqtgraph, (image.dtype, image.shape, options)
