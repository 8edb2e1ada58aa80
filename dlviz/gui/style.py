"""Colours, fonts and pyqtgraph settings shared by every pane."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

from dlviz.core.mosaic import colormap_lut

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="#1e1f22", foreground="#d8d8d8")

BACKGROUND = "#1e1f22"
ACCENT = QColor("#4fc3f7")  # crop outline, bars
SELECT = QColor("#ffd54f")  # the selected unit
TEXT = QColor("#d8d8d8")
MUTED = QColor("#9a9a9a")


def colormap(name: str) -> pg.ColorMap:
    return pg.ColorMap(np.linspace(0.0, 1.0, 256), colormap_lut(name))


def title_font(point_size: int = 10, bold: bool = True) -> QFont:
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    return font


def image_view(widget: pg.GraphicsLayoutWidget) -> pg.ViewBox:
    """A fixed, aspect-locked view for pictures: no mouse panning, no context menu."""
    widget.ci.setContentsMargins(2, 2, 2, 2)
    view = widget.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
    view.setMouseEnabled(False, False)
    view.setDefaultPadding(0.01)
    return view
