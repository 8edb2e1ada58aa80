"""The command line's progress line on stderr: redrawn in place on a terminal, closed however the
work ends, and silent when asked to be."""

from __future__ import annotations

import io

import pytest

from dlviz.cli.common import StderrProgress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def on_terminal(monkeypatch) -> Terminal:
    """stderr as a terminal (set in the test itself: pytest puts its own stderr back after setup)."""
    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    return stream


def test_the_line_is_redrawn_in_place_and_closed_when_the_work_fails(monkeypatch):
    terminal = on_terminal(monkeypatch)
    with pytest.raises(RuntimeError):
        with StderrProgress("Score-CAM") as progress:
            progress.report(0.5, "half")
            raise RuntimeError("the work failed")
    text = terminal.getvalue()
    assert text.startswith("\rScore-CAM: half (50%)") and text.endswith("\n") and text.count("\n") == 1


def test_a_quiet_line_and_a_filtered_one_print_nothing_they_were_not_asked_to(monkeypatch):
    terminal = on_terminal(monkeypatch)
    with StderrProgress("SmoothGrad", shown=False) as progress:
        progress.report(0.5, "half")
    with StderrProgress(only="downloading") as progress:
        progress.report(0.95, "finding layers")
    assert terminal.getvalue() == ""
    with StderrProgress(only="downloading") as progress:
        progress.report(0.3, "downloading resnet18.pth: 3.0 of 10.0 MB")
    assert "downloading resnet18.pth" in terminal.getvalue() and terminal.getvalue().endswith("\n")
