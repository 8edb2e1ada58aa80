"""Writing a file the user chose: one sentence either way, and never 'Saved' for a file not written."""

from __future__ import annotations

import pytest

from dlviz.core.errors import DlvizError
from dlviz.gui.widgets.saving import write_for_user


def _fail(exc):
    def write():
        raise exc
    return write


@pytest.mark.parametrize("write, sentence", [
    (lambda: None, "Saved grid.png."),
    (lambda: True, "Saved grid.png."),
    (lambda: False, "Could not write grid.png."),
    (_fail(PermissionError(13, "Permission denied")), "Could not write grid.png (Permission denied)."),
    (_fail(DlvizError("Could not write grid.png (disk full).")), "Could not write grid.png (disk full)."),
])
def test_what_the_user_hears(write, sentence):
    said = []
    ok = write_for_user("/somewhere/grid.png", write, lambda text, error=False: said.append((text, error)))
    assert said == [(sentence, not ok)]
    assert ok == sentence.startswith("Saved")


def test_a_bug_in_the_writer_is_not_taken_for_a_user_error():
    with pytest.raises(ZeroDivisionError):
        write_for_user("x.png", lambda: 1 / 0, lambda text, error=False: None)


def test_a_custom_sentence_for_success():
    said = []
    write_for_user("x.tsv", lambda: None, lambda text, error=False: said.append(text), "Wrote 3 rows to x.tsv.")
    assert said == ["Wrote 3 rows to x.tsv."]
