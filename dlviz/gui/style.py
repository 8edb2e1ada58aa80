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


def fit(view: pg.ViewBox, width: float, height: float, padding: float = 0.01) -> None:
    """Show (0, 0, width, height) in a view the mouse cannot move; nothing is done when that is
    already what it shows (live frames come many times a second, each a layout pass otherwise)."""
    wanted = (width, height, padding)
    if getattr(view, "_dlviz_fitted", None) != wanted:
        view.setRange(xRange=(0, width), yRange=(0, height), padding=padding)
        view._dlviz_fitted = wanted


def image_view(widget: pg.GraphicsLayoutWidget) -> pg.ViewBox:
    """A fixed, aspect-locked view for pictures: no mouse panning, no context menu."""
    widget.ci.setContentsMargins(2, 2, 2, 2)
    widget.setMinimumSize(40, 40)  # panes may shrink on a small screen; the picture scales
    view = widget.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
    view.setMouseEnabled(False, False)
    view.setDefaultPadding(0.01)
    return view


def apply_theme(app) -> None:
    """A dark Fusion palette, so the Qt panes match the dark plots around them."""
    from PySide6.QtGui import QPalette

    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.Window: "#26272b",
        QPalette.WindowText: "#e6e6e6",
        QPalette.Base: "#1e1f22",
        QPalette.AlternateBase: "#2a2b2f",
        QPalette.ToolTipBase: "#2f3034",
        QPalette.ToolTipText: "#e6e6e6",
        QPalette.Text: "#e6e6e6",
        QPalette.Button: "#303136",
        QPalette.ButtonText: "#e6e6e6",
        QPalette.BrightText: "#ff8a80",
        QPalette.Highlight: "#2f6f9f",
        QPalette.HighlightedText: "#ffffff",
        QPalette.Link: "#4fc3f7",
        QPalette.PlaceholderText: "#8a8a8a",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, QColor("#6a6a6a"))
    app.setPalette(palette)
