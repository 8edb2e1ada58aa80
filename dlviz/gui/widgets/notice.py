"""A sentence too important for the status bar (it would be cut, and it goes away): a dialog that
stays until closed, whose text can be selected or copied whole."""

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
