"""The layer navigator: every layer in forward order as a tree, with its type and output shape."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.text import shape_text


class LayerPane(Pane):
    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter layers (name or type)")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Layer", "Output", "Type"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)  # shapes are never cut off
        header.setStretchLastSection(True)
        self.tree.setColumnWidth(0, 150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        self.tree.currentItemChanged.connect(self._picked)
        self.filter.textChanged.connect(self._apply_filter)
        self.filter.returnPressed.connect(self._pick_first_match)
        session.model_changed.connect(self.rebuild)
        session.layer_changed.connect(self.show_layer)

    def rebuild(self):
        self.tree.blockSignals(True)
        self.tree.clear()
        self.items.clear()
        model = self.session.model
        shown = set(self.session.displayable_layers())
        infos = model.layers if model.hookable else []
        if not model.hookable:
            item = QTreeWidgetItem(["output", "logits", ""])
            item.setData(0, Qt.UserRole, "output")
            self.tree.addTopLevelItem(item)
            self.items["output"] = item
        for info in infos:
            suffix = f" (runs {info.calls}×)" if info.calls > 1 else ""
            if info.same_as:
                suffix += f" = {info.same_as.rsplit('.', 1)[-1]}"
            item = QTreeWidgetItem([info.name.rsplit(".", 1)[-1], shape_text(info.shape), info.type + suffix])
            item.setData(0, Qt.UserRole, info.name)
            item.setToolTip(0, info.name + (f": the same output as {info.same_as} (PgUp/PgDn step past it)"
                                             if info.same_as else ""))
            if info.name not in shown:
                item.setFlags(item.flags() & ~Qt.ItemIsSelectable)
                item.setForeground(0, style.MUTED)
            parent_name = info.name.rsplit(".", 1)[0] if "." in info.name else None
            while parent_name and parent_name not in self.items:
                parent_name = parent_name.rsplit(".", 1)[0] if "." in parent_name else None
            if parent_name:
                self.items[parent_name].addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            self.items[info.name] = item
        self.tree.blockSignals(False)
        self._apply_filter(self.filter.text())
        self.show_layer()

    def show_layer(self):
        item = self.items.get(self.session.layer or "")
        if item is None or self.tree.currentItem() is item:
            return
        self.tree.blockSignals(True)
        parent = item.parent()
        while parent is not None:
            parent.setExpanded(True)
            parent = parent.parent()
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item, QTreeWidget.PositionAtCenter)
        self.tree.blockSignals(False)

    def _picked(self, current, previous):
        if current is not None:
            self.session.set_layer(current.data(0, Qt.UserRole))

    def _apply_filter(self, text):
        text = text.strip().lower()
        for name, item in self.items.items():
            match = not text or text in name.lower() or text in item.text(2).lower()
            item.setHidden(False if match else True)
        if text:  # show the ancestors of every match
            for name, item in self.items.items():
                if not item.isHidden():
                    parent = item.parent()
                    while parent is not None:
                        parent.setHidden(False)
                        parent.setExpanded(True)
                        parent = parent.parent()
        current = self.tree.currentItem()
        if current is not None and not current.isHidden():  # the selected layer stays in view
            self.tree.scrollToItem(current, QTreeWidget.PositionAtCenter)

    def _pick_first_match(self):
        """Enter in the filter: go to the first layer that matches (the only one, often)."""
        shown = set(self.session.displayable_layers())
        for name, item in self.items.items():
            if not item.isHidden() and name in shown and self.filter.text().strip().lower() in (
                    name.lower() + " " + item.text(2).lower()):
                self.session.set_layer(name)
                self.tree.setFocus()
                return

    def focus_filter(self):
        self.filter.setFocus()
        self.filter.selectAll()
