"""The embedding explorer's exports: the plot as PNG or SVG, the coordinates as TSV, and the
TensorBoard projector's pair of files; of the points shown (the isolated ones, when isolated)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from dlviz.gui.widgets.saving import write_for_user
from dlviz.core.wording import how_many


class Exports:
    """Built into the explorer window: it reads `current`, `coords`, `isolated`, `view` and `say`."""

    def _shown_set(self):
        if self.isolated is not None:
            return self.current.subset(self.isolated), self.coords[self.isolated]
        return self.current, self.coords

    def export_tsv(self, path):
        from dlviz.core.vectors import write_layout_tsv

        points, layout = self._shown_set()
        return write_for_user(path, lambda: write_layout_tsv(path, layout, points), self.say,
                              f"Wrote {how_many(len(points), 'row')} to {Path(path).name}.")

    def export_projector(self, tensors_path):
        from dlviz.core.vectors import write_projector

        points, _ = self._shown_set()
        tensors_path = Path(tensors_path)
        metadata_path = tensors_path.with_name(tensors_path.stem + "-metadata.tsv")
        return write_for_user(tensors_path, lambda: write_projector(points, tensors_path, metadata_path), self.say,
                              f"Wrote {tensors_path.name} and {metadata_path.name} for the TensorBoard projector.")

    def _ask_path(self, title, default, filters):
        if self.coords is None:
            self.say("Nothing to export yet: press Run first.", error=True)
            return None
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / default), filters)
        return path or None

    def _export_png(self):
        path = self._ask_path("Export plot", "embedding.png", "PNG (*.png)")
        if path:
            write_for_user(path, lambda: self.view.export_png(path), self.say)

    def _export_svg(self):
        path = self._ask_path("Export plot", "embedding.svg", "SVG (*.svg)")
        if path:
            write_for_user(path, lambda: self.view.export_svg(path), self.say)

    def _export_tsv(self):
        path = self._ask_path("Export coordinates", "embedding.tsv", "TSV (*.tsv)")
        if path:
            self.export_tsv(path)

    def _export_projector(self):
        path = self._ask_path("Export for the TensorBoard projector", "tensors.tsv", "TSV (*.tsv)")
        if path:
            self.export_projector(path)
