"""Colours, fonts and pyqtgraph settings shared by every pane."""

from __future__ import annotations

import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QApplication, QComboBox, QProxyStyle, QStyle, QStyleFactory, QWidget
from shiboken6 import isValid

from dlviz.core.mosaic import colormap_lut

# The themes' colours. Panes read them as `style.TEXT` and so on when they draw, so a change of
# theme (`set_look`) reaches them at their next paint.
THEMES = {
    "dark": {"background": "#1e1f22", "accent": "#4fc3f7", "select": "#ffd54f", "text": "#d8d8d8",
             "muted": "#9a9a9a", "bright": "#f0f0f0"},
    # For projectors, which wash out dark greys: black and white, and stronger accents.
    "contrast": {"background": "#000000", "accent": "#40c4ff", "select": "#ffea00", "text": "#ffffff",
                 "muted": "#d0d0d0", "bright": "#ffffff"},
}
BACKGROUND = THEMES["dark"]["background"]
ACCENT = QColor(THEMES["dark"]["accent"])  # crop outline, bars
SELECT = QColor(THEMES["dark"]["select"])  # the selected unit
TEXT = QColor(THEMES["dark"]["text"])
MUTED = QColor(THEMES["dark"]["muted"])
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background=BACKGROUND, foreground=THEMES["dark"]["text"])

_theme = "dark"
_scale = 1.0  # the presenter scale: every font, tick label, outline and cursor is this many times its size
_base_points: float | None = None  # the application font's size at 1×
_listeners: list = []  # weak references to methods called when the scale or theme changes


def theme() -> str:
    return _theme


def scale() -> float:
    return _scale


def points(size: float) -> float:
    """A font size in points at the presenter scale."""
    return size * _scale


def width(pixels: float) -> float:
    """A line's width (a border, a cursor) at the presenter scale."""
    return pixels * _scale


def set_look(scale: float | None = None, theme_name: str | None = None) -> None:
    """Change the presenter scale and/or the theme: the colours above, the application's font and
    palette, every font and style sheet set through `set_font` and `set_sheet`, and whatever
    registered with `on_change`."""
    global _scale, _theme, BACKGROUND, ACCENT, SELECT, TEXT, MUTED
    if scale is not None:
        _scale = float(scale)
    if theme_name is not None:
        if theme_name not in THEMES:
            raise ValueError(f"no theme '{theme_name}'")
        _theme = theme_name
    colours = THEMES[_theme]
    BACKGROUND = colours["background"]
    ACCENT, SELECT, TEXT, MUTED = (QColor(colours[k]) for k in ("accent", "select", "text", "muted"))
    pg.setConfigOptions(background=BACKGROUND, foreground=colours["text"])
    app = QApplication.instance()
    if app is not None:
        apply_theme(app)
        _scale_app_font(app)
        QCoreApplication.sendPostedEvents()  # the new font reaches every widget before its size is asked
        for top in app.topLevelWidgets():
            restyle(top)
    for ref in list(_listeners):
        method = ref()
        if method is None or not isValid(method.__self__):  # its pane, or the pane's Qt half, is gone
            _listeners.remove(ref)
        else:
            method()


def _scale_app_font(app) -> None:
    global _base_points
    font = app.font()
    if _base_points is None:
        _base_points = font.pointSizeF() if font.pointSizeF() > 0 else 9.0
    if abs(font.pointSizeF() - _base_points * _scale) > 0.01:
        font.setPointSizeF(_base_points * _scale)
        app.setFont(font)


def on_change(method) -> None:
    """Call the bound `method` whenever the scale or theme changes (held weakly: a pane that is
    gone is not kept alive)."""
    _listeners.append(weakref.WeakMethod(method))


def pen(colour: QColor, pixels: float, dash=None):
    """A cosmetic pen (its width in screen pixels, whatever the zoom) at the presenter scale."""
    out = QPen(colour, width(pixels))
    if dash is not None:
        out.setStyle(dash)
    out.setCosmetic(True)
    return out


def set_font(widget, point_size: float, bold: bool = True) -> None:
    """Give `widget` a title font of `point_size` points at 1×, kept at the presenter scale."""
    widget.setProperty("dlviz_font", [float(point_size), bool(bold)])
    widget.setFont(title_font(point_size, bold))


def sheet_text(template: str) -> str:
    """A style sheet template filled in: {text}, {muted}, {bright}, {select}, {accent},
    {background} (the theme's colours) and {pt7} to {pt16} (font sizes at the presenter scale)."""
    values = dict(THEMES[_theme])
    values.update({f"pt{k}": f"{points(k):g}" for k in range(7, 17)})
    return template.format(**values)


def set_sheet(widget, template: str) -> None:
    """A style sheet from a template (see `sheet_text`), kept at the presenter scale and theme."""
    widget.setProperty("dlviz_sheet", template)
    widget.setStyleSheet(sheet_text(template))


def steady_combos(root) -> None:
    """Every drop-down list in `root` as wide as its items in the present font, whatever that is
    when it is first shown (Qt's default keeps the width of its first showing, even after a change
    of presenter scale); a long list (the classes, the layers) or one you type in, as wide as 16
    characters."""
    for box in root.findChildren(QComboBox):
        if box.sizeAdjustPolicy() != QComboBox.AdjustToContentsOnFirstShow:
            continue  # chosen by its pane
        if box.isEditable() or box.count() > 40 or box.property("dlviz_long"):
            box.setMinimumContentsLength(16)
            box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        else:
            box.setSizeAdjustPolicy(QComboBox.AdjustToContents)


def restyle(root) -> None:
    """Fonts and style sheets set through `set_font` and `set_sheet`, in `root` and below, and
    the backgrounds of its plots, at the present scale and theme."""
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QComboBox):  # a font change leaves its size as it was; a style change does not
            QCoreApplication.sendEvent(widget, QEvent(QEvent.StyleChange))
        font = widget.property("dlviz_font")
        if font:
            widget.setFont(title_font(float(font[0]), bool(font[1])))
        template = widget.property("dlviz_sheet")
        if template:
            widget.setStyleSheet(sheet_text(template))
        if isinstance(widget, pg.GraphicsView):
            widget.setBackground(BACKGROUND)


def colormap(name: str) -> pg.ColorMap:
    return pg.ColorMap(np.linspace(0.0, 1.0, 256), colormap_lut(name))


def title_font(point_size: float = 10, bold: bool = True) -> QFont:
    """A font of `point_size` points at 1×, at the presenter scale."""
    font = QFont()
    font.setPointSizeF(points(point_size))
    font.setBold(bold)
    return font


def fit(view: pg.ViewBox, width: float, height: float, padding: float = 0.01) -> None:
    """Show (0, 0, width, height) in a view the mouse cannot move; nothing is done when that is
    already what it shows (live frames come many times a second, each a layout pass otherwise)."""
    wanted = (width, height, padding)
    if getattr(view, "_dlviz_fitted", None) != wanted:
        view.setRange(xRange=(0, width), yRange=(0, height), padding=padding)
        view._dlviz_fitted = wanted


def plain_axes(*items) -> None:
    """Turn off pyqtgraph's automatic SI prefix on the axes of plots (PlotItem) and colour bars
    (ColorBarItem). Our axes have no units, so the prefix never shows; yet each range change
    rebuilt the axis's label as a rich-text document (about 0.4 ms an axis), for seven axes at every
    PgDn step and every live frame."""
    for item in items:
        axes = [entry["item"] for entry in item.axes.values()] if hasattr(item, "axes") else [item.axis]
        for axis in axes:
            axis.enableAutoSIPrefix(False)


def image_view(widget: pg.GraphicsLayoutWidget) -> pg.ViewBox:
    """A fixed, aspect-locked view for pictures: no mouse panning, no context menu."""
    widget.ci.setContentsMargins(2, 2, 2, 2)
    widget.setMinimumSize(40, 40)  # panes may shrink on a small screen; the picture scales
    view = widget.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
    view.setMouseEnabled(False, False)
    view.setDefaultPadding(0.01)
    return view


def apply_theme(app) -> None:
    """The theme's Fusion palette (dark, or black and white for projectors), so the Qt panes
    match the plots around them."""
    from PySide6.QtGui import QPalette

    global _STYLE
    contrast = _theme == "contrast"
    if contrast:  # a style of ours costs a Python call per primitive drawn: only where it is needed
        _STYLE = _Look(QStyleFactory.create("Fusion"))
        app.setStyle(_STYLE)
    else:
        _STYLE = None
        app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.Window: "#000000" if contrast else "#26272b",
        QPalette.WindowText: "#ffffff" if contrast else "#e6e6e6",
        QPalette.Base: "#000000" if contrast else "#1e1f22",
        QPalette.AlternateBase: "#1a1a1a" if contrast else "#2a2b2f",
        QPalette.ToolTipBase: "#000000" if contrast else "#2f3034",
        QPalette.ToolTipText: "#ffffff" if contrast else "#e6e6e6",
        QPalette.Text: "#ffffff" if contrast else "#e6e6e6",
        QPalette.Button: "#1a1a1a" if contrast else "#303136",
        QPalette.ButtonText: "#ffffff" if contrast else "#e6e6e6",
        QPalette.BrightText: "#ff8a80",
        QPalette.Highlight: "#0050a0" if contrast else "#2f6f9f",
        QPalette.HighlightedText: "#ffffff",
        QPalette.Link: "#40c4ff" if contrast else "#4fc3f7",
        QPalette.PlaceholderText: "#b0b0b0" if contrast else "#8a8a8a",
    }
    if contrast:
        roles[QPalette.Mid] = "#ffffff"  # frames and separators that can be seen on a projector
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, QColor("#a0a0a0" if contrast else "#6a6a6a"))
    app.setPalette(palette)


class _Look(QProxyStyle):
    """Fusion for the high-contrast theme, with check boxes and radio buttons outlined in white:
    Fusion outlines them in a darker shade of the window's colour, which on black is black. (An
    application style sheet would do it too, but it stops the presenter scale's font reaching
    the widgets.)"""

    def drawPrimitive(self, element, option, painter, widget=None):
        super().drawPrimitive(element, option, painter, widget)
        if element in (QStyle.PE_IndicatorCheckBox, QStyle.PE_IndicatorRadioButton):
            painter.save()
            painter.setRenderHint(QPainter.Antialiasing)
            painter.setPen(QPen(QColor("#ffffff"), 1.5))
            painter.setBrush(Qt.NoBrush)
            box = QRectF(option.rect).adjusted(1, 1, -1, -1)
            if element == QStyle.PE_IndicatorRadioButton:
                painter.drawEllipse(box)
            else:
                painter.drawRoundedRect(box, 2, 2)
            painter.restore()


_STYLE = None  # the high-contrast theme's style, kept alive here
