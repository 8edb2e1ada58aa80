"""Labels that change text often keep their room, so what sits beside them stays put."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dlviz.gui.widgets.steady import SteadyLabel

SHORT = "Unit 0 of bn1 · 7×7 · max 1"
LONG = "Unit 0 of blocks.4.2.conv_pw_with_a_long_name · 14×14 · max 3.21 · and more words to wrap"


def test_a_title_that_needs_fewer_lines_keeps_its_height_and_the_view_below_stays(qtbot):
    box = QWidget()
    layout = QVBoxLayout(box)
    title, view = SteadyLabel(SHORT), QLabel("the map")
    layout.addWidget(title)
    layout.addWidget(view, 1)
    qtbot.addWidget(box)
    box.resize(300, 400)
    box.show()
    qtbot.waitExposed(box)
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

    box = QWidget()
    layout = QVBoxLayout(box)
    title = SteadyLabel("short words that wrap at any size: one two three four five six seven eight nine ten")
    layout.addWidget(title)
    layout.addWidget(QLabel("the map"), 1)
    qtbot.addWidget(box)
    box.setFixedSize(300, 400)
    box.show()
    qtbot.waitExposed(box)
    normal = title.height()
    big = QFont(title.font())
    big.setPointSizeF(big.pointSizeF() * 2)
    title.setFont(big)
    qtbot.waitUntil(lambda: title.height() > normal)
    small = QFont(big)
    small.setPointSizeF(big.pointSizeF() / 2)
    title.setFont(small)
    qtbot.waitUntil(lambda: title.height() == normal)
