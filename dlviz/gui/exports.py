"""Pictures of the window and its panes for slides.

Any pane or the whole window to PNG at 1, 2 or 4 times its pixels (drawn at that resolution, so
text and lines stay sharp) or to the clipboard; to SVG, where text, lines and bars are vectors
and pictures stay pictures; and a slide: the chosen panes side by side on a 1920×1080 page with
a caption under them. File ▸ Export Picture and File ▸ Export Slide open `ExportDialog`.

PNG files are encoded and written on a thread of their own (a 4× window is tens of megapixels),
never on the GUI thread nor behind the worker's long jobs.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from dlviz.gui import style
from dlviz.gui.widgets.saving import write_for_user

SCALES = (1, 2, 4)
SLIDE = (1920, 1080)


def picture(widget: QWidget, scale: float = 1) -> QImage:
    """`widget` drawn afresh at `scale` times its pixels."""
    pixmap = QPixmap(QSize(max(1, round(widget.width() * scale)), max(1, round(widget.height() * scale))))
    pixmap.setDevicePixelRatio(scale)
    pixmap.fill(QColor(style.BACKGROUND))
    widget.render(pixmap)
    image = pixmap.toImage()
    image.setDevicePixelRatio(1)  # its pixels are the picture: drawn, saved or copied one for one
    return image


def save_svg(widget: QWidget, path, title: str = "") -> None:
    """`widget` as an SVG file: what it paints as text, lines and shapes stays vector."""
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(widget.rect())
    generator.setTitle(title or "dlviz")
    generator.setDescription("made with dlviz")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"cannot write {Path(path).name}")
    widget.render(painter, QPoint())
    painter.end()


def slide(widgets: list[QWidget], caption: str = "", size=SLIDE) -> QImage:
    """The `widgets` side by side (in up to three rows, whichever lets them grow most) on a page of
    `size`, all enlarged by one factor and drawn at that resolution, with `caption` under them in
    large type."""
    width, height = size
    page = QImage(width, height, QImage.Format_RGB32)
    page.fill(QColor(style.BACKGROUND))
    painter = QPainter(page)
    painter.setRenderHint(QPainter.Antialiasing)
    margin = width // 64
    band = 0
    if caption.strip():
        font = QFont()
        font.setPixelSize(height // 24)
        painter.setFont(font)
        room = QRectF(margin, 0, width - 2 * margin, height)
        need = painter.boundingRect(room, Qt.TextWordWrap | Qt.AlignHCenter, caption).height()
        band = int(need + 2 * margin)
        painter.setPen(QColor(style.THEMES[style.theme()]["bright"]))
        painter.drawText(QRectF(margin, height - band + margin, width - 2 * margin, band - 2 * margin),
                         Qt.TextWordWrap | Qt.AlignHCenter | Qt.AlignVCenter, caption)
    for row, factor, top in _rows(widgets, width - 2 * margin, height - band - 2 * margin, margin):
        x = (width - factor * sum(widget.width() for widget in row) - margin * (len(row) - 1)) / 2
        for widget in row:
            image = picture(widget, factor)
            painter.drawImage(int(x), int(margin + top), image)
            x += image.width() + margin
    painter.end()
    return page


def _rows(widgets, width: float, height: float, gap: float):
    """The widgets in rows, in order, all enlarged by one factor (so they keep the sizes they have
    on screen relative to each other): the number of rows (1 to 3) that allows the largest.
    Yields (row, the factor, the row's top)."""
    best = None
    for rows in range(1, min(3, len(widgets)) + 1):
        per = -(-len(widgets) // rows)
        parts = [widgets[k:k + per] for k in range(0, len(widgets), per)]
        wide = max(sum(w.width() for w in part) for part in parts)
        tall = sum(max(w.height() for w in part) for part in parts)
        factor = min((width - gap * (per - 1)) / max(wide, 1), (height - gap * (len(parts) - 1)) / max(tall, 1))
        if best is None or factor > best[0]:
            best = (factor, parts)
    if best is None:
        return
    factor, parts = best
    heights = [factor * max(w.height() for w in part) for part in parts]
    top = (height - sum(heights) - gap * (len(parts) - 1)) / 2
    for part, h in zip(parts, heights):
        yield part, factor, top
        top += h + gap


class _Written(QObject):
    done = Signal(object, bool, str)  # the say function, whether it was written, the sentence


_written = None


def save_png(image: QImage, path, say) -> None:
    """Encode and write `image` on a thread of its own; `say` hears the sentence (on the GUI thread)."""
    global _written
    if _written is None:
        _written = _Written()
        _written.done.connect(lambda tell, ok, sentence: tell(sentence, error=not ok))
    name = Path(path).name

    def write():
        said = []
        written = write_for_user(path, lambda: image.save(str(path), "PNG"),
                                 lambda sentence, error=False: said.append((sentence, error)),
                                 f"Saved {name} ({image.width()}×{image.height()}).")
        _written.done.emit(say, written, said[-1][0])

    threading.Thread(target=write, name="dlviz-export", daemon=False).start()


class ExportDialog(QDialog):
    """What to export and how: the window or a pane (several, for a slide), the scale, and where."""

    def __init__(self, window, slide_mode: bool = False, caption: str = ""):
        super().__init__(window)
        self.window, self.slide_mode = window, slide_mode
        self.setWindowTitle("Export a slide" if slide_mode else "Export a picture")
        self.parts = QListWidget()
        for title, widget in self.choices():
            item = QListWidgetItem(title)
            item.setData(Qt.UserRole, widget)
            if slide_mode:
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if title.startswith(("Main view", "Unit")) else Qt.Unchecked)
            self.parts.addItem(item)
        self.parts.setCurrentRow(0)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The panes to put on the slide, side by side:" if slide_mode else "What to export:"))
        layout.addWidget(self.parts)
        self.scales = QButtonGroup(self)
        self.caption = QLineEdit(caption)
        if slide_mode:
            self.caption.setPlaceholderText("A caption under the panes (optional)")
            layout.addWidget(QLabel(f"Caption ({SLIDE[0]}×{SLIDE[1]} page):"))
            layout.addWidget(self.caption)
        else:
            row = QHBoxLayout()
            row.addWidget(QLabel("Pixels:"))
            for scale in SCALES:
                button = QRadioButton(f"×{scale}")
                button.setToolTip(f"{scale} times the pixels on screen, drawn sharp at that size")
                self.scales.addButton(button, scale)
                row.addWidget(button)
            self.scales.button(2).setChecked(True)
            row.addStretch(1)
            layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.addButton("Copy", QDialogButtonBox.ActionRole).clicked.connect(self.copy)
        buttons.addButton("Save PNG…", QDialogButtonBox.ActionRole).clicked.connect(lambda: self.save("png"))
        if not slide_mode:
            svg = buttons.addButton("Save SVG…", QDialogButtonBox.ActionRole)
            svg.setToolTip("Text, lines and bars as vectors (the plots scale to any size); pictures stay pictures")
            svg.clicked.connect(lambda: self.save("svg"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choices(self) -> list[tuple[str, QWidget]]:
        """(title, widget): the window, the main view on screen, and every pane that is shown."""
        from PySide6.QtWidgets import QDockWidget

        window = self.window
        view = window.views.tabText(window.views.currentIndex())
        out = [] if self.slide_mode else [("The whole window", window)]
        out.append((f"Main view: {view}", window.views.currentWidget()))
        for dock in window.findChildren(QDockWidget):
            if dock.isVisible() and not dock.widget().visibleRegion().isEmpty() and dock is not window.tour_dock:
                out.append((dock.windowTitle(), dock.widget()))
        return out

    def chosen(self) -> list[tuple[str, QWidget]]:
        items = [self.parts.item(k) for k in range(self.parts.count())]
        if self.slide_mode:
            items = [item for item in items if item.checkState() == Qt.Checked]
        else:
            items = [self.parts.currentItem()] if self.parts.currentItem() else []
        return [(item.text(), item.data(Qt.UserRole)) for item in items]

    def image(self) -> QImage | None:
        chosen = self.chosen()
        if not chosen:
            self.window.say("Choose a pane first.", error=True)
            return None
        if self.slide_mode:
            return slide([widget for _, widget in chosen], self.caption.text())
        return picture(chosen[0][1], self.scales.checkedId())

    def copy(self) -> None:
        image = self.image()
        if image is not None:
            QGuiApplication.clipboard().setImage(image)
            self.window.say(f"Copied a {image.width()}×{image.height()} picture.")

    def save(self, kind: str) -> None:
        chosen = self.chosen()
        if not chosen:
            self.window.say("Choose a pane first.", error=True)
            return
        title = "slide" if self.slide_mode else chosen[0][0].split(":")[-1].strip().lower().replace(" ", "-")
        start = Path.home() / f"{self.window.session.image_name.rsplit('.', 1)[0] or 'dlviz'}-{title}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, "Export", str(start), "SVG (*.svg)" if kind == "svg" else "PNG (*.png)")
        if not path:
            return
        if kind == "svg":
            write_for_user(path, lambda: save_svg(chosen[0][1], path, chosen[0][0]), self.window.say)
        else:
            image = self.image()
            if image is not None:
                save_png(image, path, self.window.say)
