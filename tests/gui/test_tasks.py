"""The background runner: off the GUI thread, newest request wins, progress, cancel, errors."""

from __future__ import annotations

import threading
import time

from dlviz.core.errors import DlvizError
from dlviz.work.kinds import plain
from dlviz.work.runner import JobRunner


def _slow(state, value, seconds=0.3):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if state.should_stop():
            return "stopped"
        time.sleep(0.01)
    return value, threading.current_thread() is threading.main_thread()


def test_runs_off_the_gui_thread_and_newest_request_wins(qtbot):
    runner = JobRunner(plain("model", "image", "forward"))
    seen = []
    runner.finished.connect(lambda kind, result: seen.append(result))
    try:
        for value in range(5):
            runner.submit("forward", _slow, value)
        qtbot.waitUntil(lambda: not runner.is_busy(), timeout=10_000)
        qtbot.wait(50)
        assert seen == [(4, False)]  # only the newest, computed on the worker thread
    finally:
        assert runner.shutdown()


def test_progress_cancel_and_errors_arrive_as_signals(qtbot, caplog):
    runner = JobRunner(plain("model", "image", "forward"))
    progress, failures, results = [], [], []
    runner.progress.connect(lambda kind, fraction, text: progress.append((kind, fraction, text)))
    runner.failed.connect(lambda kind, sentence, trace: failures.append((kind, sentence, trace)))
    runner.finished.connect(lambda kind, result: results.append(result))

    def reporting(state):
        for i in range(3):
            state.report(i / 2, f"step {i}")
        return "done"

    def broken(state):
        raise DlvizError("That file is not a model.")

    def crashing(state):
        return 1 / 0

    try:
        with qtbot.waitSignal(runner.finished, timeout=5000):
            runner.submit("model", reporting)
        assert [p[2] for p in progress] == ["step 0", "step 1", "step 2"]
        with qtbot.waitSignal(runner.failed, timeout=5000):
            runner.submit("model", broken)
        assert failures[-1] == ("model", "That file is not a model.", "")  # a sentence, not a bug: nothing logged
        assert not caplog.records
        with qtbot.waitSignal(runner.failed, timeout=5000):
            runner.submit("model", crashing)
        assert failures[-1][1].startswith("Unexpected error (ZeroDivisionError)")
        assert "ZeroDivisionError" in failures[-1][2]
        assert [r.levelname for r in caplog.records] == ["ERROR"] and "1 / 0" in caplog.records[0].getMessage()

        runner.submit("image", _slow, "late", 5.0)
        qtbot.waitUntil(lambda: runner.running_kind() == "image", timeout=5000)
        runner.cancel("image")
        qtbot.waitUntil(lambda: not runner.is_busy(), timeout=5000)
        qtbot.wait(50)
        assert "stopped" not in results and ("late", False) not in results
    finally:
        assert runner.shutdown()


def test_shutdown_stops_a_running_job(qtbot):
    runner = JobRunner(plain("model", "image", "forward"))
    runner.submit("forward", _slow, 1, 30.0)
    qtbot.waitUntil(lambda: runner.running_kind() == "forward", timeout=5000)
    start = time.monotonic()
    assert runner.shutdown()
    assert time.monotonic() - start < 2.0


def test_cancel_says_which_waiting_or_running_kinds_lost_their_result(qtbot):
    import threading

    runner = JobRunner(plain("slow", "queued", "idle"))
    started, release = threading.Event(), threading.Event()

    def slow(state):
        started.set()
        release.wait(10)

    said = []
    runner.cancelled.connect(said.append)
    try:
        runner.submit("slow", slow)
        assert started.wait(10)
        runner.submit("queued", lambda state: None)
        runner.cancel("idle")  # nothing of that kind: nothing to say
        runner.cancel("queued")
        runner.cancel("slow")
        assert said == ["queued", "slow"]
        runner.cancel("slow")  # already cancelled: said once
        assert said == ["queued", "slow"]
    finally:
        release.set()
        assert runner.shutdown()


def test_a_cancel_after_the_work_ended_but_before_its_answer_arrived_is_heard(qtbot):
    """The worker finished, its answer waits in the event queue: a cancel now must still tell the
    requester that no answer will come (a view would wait for it forever)."""
    runner = JobRunner(plain("slow"))
    ended, heard = threading.Event(), []
    try:
        runner.submit("slow", lambda state: ended.set() or "late",
                      done=lambda result: heard.append(("done", result)), cancelled=lambda: heard.append("cancelled"))
        assert ended.wait(10)
        deadline = time.monotonic() + 5
        while runner.running_kind() is not None and time.monotonic() < deadline:
            time.sleep(0.01)  # the GUI thread handles no event meanwhile: the answer is queued
        runner.cancel("slow")
        qtbot.wait(100)
        assert heard == ["cancelled"]
    finally:
        assert runner.shutdown()


def test_a_bug_in_one_requesters_callback_does_not_stop_the_runner(qtbot, monkeypatch):
    import sys

    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: reported.append(info[0]))
    runner = JobRunner(plain("model", "image"))
    finished = []
    runner.finished.connect(lambda kind, result: finished.append(kind))
    try:
        with qtbot.waitSignal(runner.finished, timeout=5000):
            runner.submit("model", lambda state: 1, done=lambda result: 1 / 0)
        assert reported == [ZeroDivisionError] and finished == ["model"] and not runner.is_busy()
    finally:
        assert runner.shutdown()


def test_the_first_model_load_freezes_what_lives_for_good_out_of_the_collectors_sight(monkeypatch):
    """Full collections walked torch's and numba's ~600k objects, 400-500 ms on the GUI thread.
    Only the first load freezes: later ones may have windows alive that could die in cycles."""
    import gc

    from dlviz import runtime
    from dlviz.core.progress import Progress
    from dlviz.work import toolbox

    monkeypatch.setattr(runtime, "_FROZEN", set())
    gc.unfreeze()
    toolbox.load_model(Progress())
    frozen = gc.get_freeze_count()
    assert frozen > 100_000
    gc.unfreeze()
    toolbox.load_model(Progress())
    assert gc.get_freeze_count() == 0
    gc.freeze()
