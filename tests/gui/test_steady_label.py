"""Labels that change text often keep their room, so what sits beside them stays put."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dlviz.gui.widgets.steady import SteadyLabel

SHORT = "Unit 0 of bn1 · 7×7 · max 1"
LONG = "Unit 0 of blocks.4.2.conv_pw_with_a_long_name · 14×14 · max 3.21 · and more words to wrap"


def _above_a_map(qtbot, title, width: int, height: int, fixed: bool = False):
    """`title` over a stretching view in a shown box: (box, view)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    view = QLabel("the map")
    layout.addWidget(title)
    layout.addWidget(view, 1)
    qtbot.addWidget(box)
    if fixed:
        box.setFixedSize(width, height)
    else:
        box.resize(width, height)
    box.show()
    qtbot.waitExposed(box)
    return box, view


def test_a_title_that_needs_fewer_lines_keeps_its_height_and_the_view_below_stays(qtbot):
    title = SteadyLabel(SHORT)
    box, view = _above_a_map(qtbot, title, 300, 400)
    one_line = title.height()
    title.setText(LONG)
    qtbot.waitUntil(lambda: title.height() > one_line)  # it grows when a text needs more
    tall, below = title.height(), view.height()
    title.setText(SHORT)
    qtbot.wait(50)
    assert title.height() == tall and view.height() == below  # and does not shrink back at each step
    box.resize(600, 400)
    qtbot.waitUntil(lambda: title.height() == one_line)  # a new width starts again


def test_a_one_line_label_asks_for_its_widest_text_until_it_settles(qtbot):
    label = SteadyLabel("a short text", wrap=False)
    qtbot.addWidget(label)
    short = label.sizeHint().width()
    label.setText("a much longer text than that one")
    wide = label.sizeHint().width()
    assert wide > short
    label.setText("a short text")
    assert label.sizeHint().width() == wide
    label.settle()
    assert label.sizeHint().width() == short


def test_a_new_font_gives_back_the_room_kept_for_the_old_one(qtbot):
    """The presenter scale sets a larger font and back: the title is as tall as its text again."""
    from PySide6.QtGui import QFont

    title = SteadyLabel("short words that wrap at any size: one two three four five six seven eight nine ten")
    box, _ = _above_a_map(qtbot, title, 300, 400, fixed=True)  # (held, or the box goes)
    normal = title.height()
    big = QFont(title.font())
    big.setPointSizeF(big.pointSizeF() * 2)
    title.setFont(big)
    qtbot.waitUntil(lambda: title.height() > normal)
    small = QFont(big)
    small.setPointSizeF(big.pointSizeF() / 2)
    title.setFont(small)
    qtbot.waitUntil(lambda: title.height() == normal)


def _laid_out_again(qtbot, outer, change) -> int:
    """How many times `outer`'s own layout was asked for again while `change()` ran and settled."""
    from PySide6.QtCore import QEvent, QObject

    class Count(QObject):
        seen = 0

        def eventFilter(self, watched, event):
            if watched is outer and event.type() == QEvent.LayoutRequest:
                Count.seen += 1
            return False

    counter = Count()
    outer.installEventFilter(counter)
    qtbot.wait(50)
    Count.seen = 0
    change()
    qtbot.wait(50)
    outer.removeEventFilter(counter)
    return Count.seen


def test_a_quiet_label_changes_text_without_laying_out_what_holds_it(qtbot):
    """A box of a box: a label's new text laid out the outer one again (each layout done asks the
    one above it), up to the main window at every live frame. In a Quiet box it does not, unless
    the label then needs more room; it shows and hides with its label."""
    from dlviz.gui.widgets.steady import Quiet

    outer = QWidget()
    inner = QWidget()
    QVBoxLayout(outer).addWidget(inner)
    column = QVBoxLayout(inner)
    plain, quiet = SteadyLabel("max 1.25", wrap=False), SteadyLabel("max 1.25", wrap=False)
    column.addWidget(plain)
    column.addWidget(Quiet(quiet))
    qtbot.addWidget(outer)
    outer.resize(300, 200)
    outer.show()
    qtbot.waitExposed(outer)
    assert _laid_out_again(qtbot, outer, lambda: plain.setText("max 1.26")) > 0  # (what the box is for)
    assert _laid_out_again(qtbot, outer, lambda: quiet.setText("max 1.26")) == 0
    assert quiet.text() == "max 1.26" and quiet.width() >= quiet.sizeHint().width()
    wider = "max 1.26 · mean 0.25 · and a good deal more"
    assert _laid_out_again(qtbot, outer, lambda: quiet.setText(wider)) > 0  # it needs more room: passed on
    qtbot.waitUntil(lambda: quiet.width() >= quiet.sizeHint().width())
    quiet.hide()
    assert not quiet.parentWidget().isVisible()
    quiet.show()
    assert quiet.isVisible() and quiet.parentWidget().isVisible()


def test_a_quiet_box_keeps_its_labels_minimum_never_flashes_and_hears_of_texts_set_while_hidden(qtbot):
    from dlviz.gui.widgets.steady import Quiet

    long_text = "live 31.2 fps · video 20 fps · 412 dropped · 81 ms behind · and more figures"
    label = SteadyLabel(long_text, wrap=False)
    label.setMinimumWidth(40)  # clipped on a narrow window rather than widening it
    box = Quiet(label)
    assert not box.isVisible()  # (a box made without a parent is not shown as a window of its own)
    assert box.minimumSizeHint().width() == 40 < label.sizeHint().width()
    # A wrapped title given a longer text while its pane is out of sight grows once it is back.
    title = SteadyLabel("Unit 0 of bn1")
    outer, _ = _above_a_map(qtbot, Quiet(title), 200, 300)
    one_line = title.height()
    outer.hide()
    title.setText(LONG)
    outer.show()
    qtbot.waitUntil(lambda: title.height() > one_line)
    assert title.height() >= title.heightForWidth(title.width())
