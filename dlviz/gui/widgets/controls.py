"""Small helpers for the panes' controls: combo boxes made from the catalogue, and putting saved
values back into controls without trusting them."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QWidget,
)

from dlviz.session import number


def combo(table: dict, tip: str = "", tips: dict | None = None) -> QComboBox:
    """A combo box of a catalogue table: shows the display names, holds the names."""
    box = QComboBox()
    for name, text in table.items():
        box.addItem(text, name)
        if tips and name in tips:
            box.setItemData(box.count() - 1, tips[name], 3)  # Qt.ToolTipRole
    if tip:
        box.setToolTip(tip)
    return box


def spin(low: int, high: int, value: int, step: int = 1, suffix: str = "", prefix: str = "",
         special: str | None = None, separators: bool = False) -> QSpinBox:
    """A spin box from `low` to `high` at `value`; `special`: the text shown at `low` (e.g. "off");
    `separators`: thousands written with separators (20,000)."""
    box = _numbers(QSpinBox(), low, high, value, step, special)
    box.setGroupSeparatorShown(separators)
    box.setSuffix(suffix)
    box.setPrefix(prefix)
    return box


def dspin(low: float, high: float, value: float, step: float, decimals: int = 2,
          special: str | None = None) -> QDoubleSpinBox:
    """A spin box of decimals, as `spin`."""
    box = QDoubleSpinBox()
    box.setDecimals(decimals)  # before the value, which it would otherwise round
    return _numbers(box, low, high, value, step, special)


def _numbers(box, low, high, value, step, special):
    """What `spin` and `dspin` set alike: the range, the value, the step, the text at `low`."""
    box.setRange(low, high)
    box.setValue(value)
    box.setSingleStep(step)
    if special:
        box.setSpecialValueText(special)
    return box


def choose(box: QComboBox, value) -> None:
    """Select the item holding `value`, if there is one."""
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)


def set_number(control: QSpinBox | QDoubleSpinBox | QSlider, value) -> None:
    """Set a saved number, brought within the control's range; anything that is not a finite
    number is skipped."""
    value = number(value, control.minimum(), control.maximum())
    if value is None:
        return
    if isinstance(control, QDoubleSpinBox):
        control.setValue(value)
    else:
        control.setValue(int(round(value)))


def set_checked(button: QAbstractButton, value) -> None:
    if isinstance(value, bool):
        button.setChecked(value)


class Slider(QWidget):
    """A labelled slider whose value is shown beside it in its own units."""

    changed = Signal()

    def __init__(self, name, lo, hi, neutral, scale, unit, tip, highlight=True):
        super().__init__()
        self.highlight = highlight  # yellow name while away from its neutral value
        self.name, self.neutral, self.scale, self.unit = name, neutral, scale, unit
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(lo, hi)
        self.slider.setValue(neutral)
        self.slider.setToolTip(tip)
        self.label = QLabel(name)
        self.value_label = QLabel("")
        self.value_label.setMinimumWidth(32)
        self.value_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.slider.valueChanged.connect(self._moved)
        self._moved()

    def _moved(self):
        self.value_label.setText(f"{self.value():g}{self.unit}")
        changed = self.highlight and self.slider.value() != self.neutral
        self.label.setStyleSheet("color: #ffd54f" if changed else "")
        self.changed.emit()

    def value(self) -> float:
        return round(self.slider.value() * self.scale, 4)

    def set_value(self, value: float, quiet: bool = False):
        """Move the slider to `value` (in its units); `quiet`: the label follows, `changed` stays silent."""
        self.blockSignals(quiet)
        set_number(self.slider, value / self.scale)
        self.blockSignals(False)

    def reset(self):
        self.slider.setValue(self.neutral)


class _WheelGuard(QObject):
    """The mouse wheel over a control that does not have the focus scrolls the panel it is in
    (or does nothing), rather than changing a value the user only scrolled past."""

    def eventFilter(self, control, event):
        if event.type() != QEvent.Wheel or control.hasFocus():
            return False
        area = control.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None and area.verticalScrollBar().isVisible():
            QApplication.sendEvent(area.verticalScrollBar(), event)
        return True


_GUARD = None


def guard_wheels(root: QWidget) -> None:
    """Give every spin box, combo box and slider below `root` the wheel guard; a click (or Tab)
    gives one the focus, and the wheel then changes it as usual."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelGuard()
    for control in root.findChildren(QWidget):
        if isinstance(control, (QAbstractSpinBox, QComboBox, QSlider)):  # not scroll bars: they scroll
            control.setFocusPolicy(Qt.StrongFocus)
            control.installEventFilter(_GUARD)
