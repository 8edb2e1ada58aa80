"""Sentences for the user: in a status bar, red while it reports an error; or, when it is too
important for the status bar (it would be cut, and it goes away), in a dialog that stays until
closed, whose text can be selected or copied whole."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox


def notice(parent, title: str, sentence: str) -> QMessageBox:
    """Show `sentence` in a window-modal-free dialog with Copy and OK; returns the dialog."""
    box = QMessageBox(QMessageBox.Warning, title, sentence, QMessageBox.Ok, parent)
    box.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard)
    copy = box.addButton("Copy", QMessageBox.ActionRole)
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(sentence))
    box.setWindowModality(Qt.NonModal)
    box.show()
    return box


def as_sentence(exc: BaseException) -> str:
    """An error of the core (lower case, no full stop, for the command line's `error: ...`) as a
    status-bar sentence: a capital first, a full stop last."""
    from dlviz.core.errors import sentence

    text = sentence(exc)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def tell(bar, sentence: str, error: bool = False) -> None:
    """Show `sentence` in the QStatusBar `bar`: red and for 15 s when it reports an error, else 8 s."""
    bar.setStyleSheet("QStatusBar { color: #ff8a80 }" if error else "")
    bar.showMessage(sentence, 15000 if error else 8000)
