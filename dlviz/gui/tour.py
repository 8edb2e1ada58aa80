"""Tours in the window: record the view as a step, play the steps in a lecture, edit them.

`TourPlayer` keeps the session's first tour (`Session.tours`, plain data saved with the session)
and the step on screen. Going to a step opens it as a saved view (`MainWindow.restore_session`):
its model and input load, then its layer, unit, tab and options are put back. While a tour plays,
PgDn, PgUp and Space (what a presenter remote sends) step the tour, and its caption shows over
the main view; a step whose model or image cannot be loaded says so there and the tour goes on.

`TourPanel` is the Tour dock: the steps in a list, to jump to, caption, reorder and delete.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dlviz.core.wording import how_many
from dlviz.gui import style
from dlviz.gui.widgets.caption import CaptionOverlay
from dlviz.session import VERSION
from dlviz.tour import Tour
from dlviz.work import kinds

# The failures that mean a step's input could not be brought back.
_INPUT_KINDS = (kinds.IMAGE, kinds.MODEL_LOAD, kinds.VIDEO)


class TourPlayer(QObject):
    changed = Signal()  # the steps, the step on screen, or playing or not

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.index = -1  # the step on screen (or last gone to); -1: none yet
        self.playing = False
        self.modified = False  # steps changed since the session was last saved or opened
        self.problems: list[str] = []  # what the step on screen could not bring back
        self.hints = True  # the caption says where the tour is and which keys step it
        self.caption = CaptionOverlay(window, window.views)
        window.runner.failed.connect(lambda kind, sentence, trace: kind in _INPUT_KINDS and self._step_problem(sentence))

    # ---------------------------------------------------------------- the tour
    @property
    def tour(self) -> Tour:
        tours = self.window.session.tours
        if not tours:
            tours.append(Tour())
        return tours[0]

    @property
    def steps(self):
        return self.tour.steps

    def follow_keys_in(self, other) -> None:
        """PgDn, PgUp, Space and Esc step or end the tour in another window too (the explorer, which
        a step may bring to the front), only while the tour plays: otherwise they are that window's."""
        from PySide6.QtGui import QAction, QKeySequence

        for key, run in (("PgDown", lambda: self.step(1)), ("PgUp", lambda: self.step(-1)),
                         ("Space", lambda: self.step(1)), ("Esc", self.stop)):
            action = QAction(other)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(run)
            action.setEnabled(self.playing)
            self.changed.connect(lambda a=action: a.setEnabled(self.playing))
            other.addAction(action)

    def reset(self) -> None:
        """A session was opened: its tour, from the start."""
        self.stop()
        self.index, self.modified = -1, False
        self.changed.emit()

    def saved(self) -> None:
        self.modified = False
        self.changed.emit()

    def _edited(self, index: int | None = None) -> None:
        if index is not None:
            self.index = index
        self.modified = True
        self.changed.emit()

    # ---------------------------------------------------------------- editing
    def select(self, index: int) -> None:
        """Step `index` becomes the tour's place (chosen in the list) without being shown: the next
        step, a new one and Replace go from there."""
        if -1 <= index < len(self.steps):
            self.index = index

    def add_step(self) -> None:
        """The view on screen as a new step after the current one."""
        if self.window.session.result is None:
            self.window.say("Wait for the picture: a step is made of what is on screen.", error=True)
            return
        index = self.tour.add(self.window.session.view_state(), at=self.index if self.index >= 0 else None)
        self._edited(index)
        self.window.say(f"Step {index + 1} of {len(self.steps)} added: give it a caption in the Tour pane.")

    def update_step(self) -> None:
        if not 0 <= self.index < len(self.steps):
            self.window.say("Go to a step first: its view is replaced by what is on screen.", error=True)
            return
        self.tour.replace(self.index, self.window.session.view_state())
        self._edited()
        self.window.say(f"Step {self.index + 1} now shows what is on screen.")

    def delete_step(self, index: int) -> None:
        if not 0 <= index < len(self.steps):
            return
        shown = self.index
        self.tour.remove(index)
        self._edited(shown - 1 if index < shown else min(index, len(self.steps) - 1))
        self.window.say(f"Step {index + 1} deleted.")
        if self.playing and not self.steps:
            self.stop()
        elif self.playing and index == shown:  # the view on screen was that step's: the next one comes
            self.go(self.index)

    def move_step(self, index: int, to: int) -> None:
        to = min(max(to, 0), len(self.steps) - 1)
        if 0 <= index < len(self.steps) and index != to:
            self._edited(self.tour.move(index, to))

    def set_caption(self, index: int, text: str) -> None:
        if 0 <= index < len(self.steps) and self.steps[index].caption != text:
            self.steps[index].caption = text
            self.modified = True
            if index == self.index and self.caption.isVisible():
                self._show_caption()

    # ---------------------------------------------------------------- playing
    def go(self, index: int) -> None:
        """Show step `index`: its view is opened as a saved session's would be."""
        if not self.steps:
            self.window.say("This tour has no steps yet: Tour ▸ Add Step records the view on screen.", error=True)
            return
        self.index = min(max(index, 0), len(self.steps) - 1)
        self.problems = []
        view = dict(self.steps[self.index].view, version=VERSION)
        self.window.restore_session(view, whole=False)
        if self.playing:
            self._show_caption()
        self.changed.emit()

    def step(self, steps: int) -> None:
        """The next (or previous) step; at either end the tour stays and says so."""
        target = self.index + steps
        if self.steps and not 0 <= target < len(self.steps):
            self._show_caption(end="The last step: Esc ends the tour." if steps > 0 else "The first step.")
            return
        self.go(target)

    def play(self, here: bool = False) -> None:
        """Play from the first step (`here`: from the tour's place, the step chosen in the list):
        PgDn, PgUp and Space step it."""
        if not self.steps:
            self.go(0)  # says there are none
            return
        self.playing = True
        self.go(self.index if here and self.index >= 0 else 0)

    def toggle(self, here: bool = False) -> None:
        self.stop() if self.playing else self.play(here)

    def stop(self) -> bool:
        """Stop playing (the view stays); False if it was not playing."""
        if not self.playing:
            return False
        self.playing = False
        self.caption.hide()
        self.window.say("Tour ended: PgDn and PgUp change the layer again.")
        self.changed.emit()
        return True

    def _show_caption(self, end: str = "") -> None:
        if not self.playing or not 0 <= self.index < len(self.steps):
            return
        where = ""
        if self.hints:  # not in a picture for slides
            where = f"{self.index + 1} / {len(self.steps)} · " + (end or "PgDn next, PgUp back, Esc ends")
        self.caption.show_text(self.steps[self.index].caption, where, " ".join(self.problems))

    def _step_problem(self, sentence: str) -> None:
        """A model or input the step asked for could not be loaded: said over the view."""
        if self.playing and 0 <= self.index < len(self.steps):
            self.problems.append(f"{sentence} The tour goes on.")
            self._show_caption()

    # ---------------------------------------------------------------- closing
    def may_close(self) -> bool:
        """True unless the tour has unsaved steps and the user would rather keep them."""
        if not self.modified or not self.steps:
            return True
        answer = QMessageBox.question(
            self.window, "dlviz", f"The tour ({how_many(len(self.steps), 'step')}) has changes that are not saved. Save the session first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.window.save_session() and not self.modified
        return answer == QMessageBox.Discard


class TourPanel(QWidget):
    """The Tour dock: the steps, their captions, and the buttons that edit and play them."""

    def __init__(self, player: TourPlayer):
        super().__init__()
        self.player = player
        self.steps = QListWidget()
        self.steps.setDragDropMode(QAbstractItemView.InternalMove)
        self.steps.setWordWrap(True)
        self.steps.itemActivated.connect(lambda item: player.go(self.steps.row(item)))
        self.steps.currentRowChanged.connect(self._row_chosen)
        # a step dragged to another place: the tour follows once the list has finished moving it
        self.steps.model().rowsMoved.connect(lambda parent, start, end, dest, row: QTimer.singleShot(
            0, lambda: player.move_step(start, row if row < start else row - 1)))
        self.caption = QPlainTextEdit()
        self.caption.setPlaceholderText("The step's caption, shown under the view while the tour plays")
        self.caption.setMaximumHeight(90)
        self.caption.textChanged.connect(lambda: player.set_caption(self.steps.currentRow(), self.caption.toPlainText()))
        self.caption.textChanged.connect(self._name_rows)
        self.caption.textChanged.connect(self._say_unsaved)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        style.set_sheet(self.hint, "color: {muted}")
        buttons = QHBoxLayout()
        row = self.steps.currentRow
        self.add_button, self.replace_button, self.delete_button, self.up_button, self.down_button, self.play_button = (
            _button(buttons, text, tip, run) for text, tip, run in (
                ("Add", "The view on screen as a new step after this one (Ctrl+T)", player.add_step),
                ("Replace", "This step shows what is on screen now (Ctrl+Shift+U)", player.update_step),
                ("Delete", "Delete this step", lambda: player.delete_step(row())),
                ("▲", "Move this step up", lambda: player.move_step(row(), row() - 1)),
                ("▼", "Move this step down", lambda: player.move_step(row(), row() + 1)),
                ("Play", "Play the tour from this step (Shift+F5; from the first, F5); PgDn, PgUp and Space step it, "
                         "Esc ends it", lambda: player.toggle(here=True)),
            ))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.caption)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        player.changed.connect(self.refresh)
        self.refresh()

    def visibility_changed(self, visible: bool) -> None:  # the dock's signal (gui.docks)
        pass

    def refresh(self) -> None:
        player = self.player
        steps = player.steps
        self.steps.blockSignals(True)
        self.steps.clear()
        for number, step in enumerate(steps, 1):
            item = QListWidgetItem(_row_text(number, step))
            item.setToolTip(step.describe())
            self.steps.addItem(item)
        self.steps.setCurrentRow(player.index if 0 <= player.index < len(steps) else -1)
        self.steps.blockSignals(False)
        self._row_chosen(self.steps.currentRow())
        has = self.steps.currentRow() >= 0
        for button in (self.replace_button, self.delete_button, self.up_button, self.down_button):
            button.setEnabled(has)
        self.play_button.setText("Stop" if player.playing else "Play")
        self.play_button.setEnabled(bool(steps))
        self._say_unsaved()

    def _say_unsaved(self) -> None:
        steps = self.player.steps
        unsaved = " Not saved yet: Ctrl+S keeps it." if self.player.modified else ""
        self.hint.setText(("No steps yet. Set up a view and press Add (Ctrl+T)." if not steps else
                           f"{how_many(len(steps), 'step')}. Double-click one to go there.{unsaved}"))

    def _row_chosen(self, row: int) -> None:
        self.player.select(row)
        steps = self.player.steps
        self.caption.blockSignals(True)
        self.caption.setPlainText(steps[row].caption if 0 <= row < len(steps) else "")
        self.caption.blockSignals(False)
        self.caption.setEnabled(0 <= row < len(steps))

    def _name_rows(self) -> None:
        row = self.steps.currentRow()
        if 0 <= row < len(self.player.steps):
            self.steps.item(row).setText(_row_text(row + 1, self.player.steps[row]))


def _button(layout, text: str, tip: str, run) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(run)
    layout.addWidget(button)
    return button


def _row_text(number: int, step) -> str:
    caption = step.caption.strip().splitlines()[0] if step.caption.strip() else "(no caption)"
    return f"{number}. {caption}\n    {step.describe()}"
