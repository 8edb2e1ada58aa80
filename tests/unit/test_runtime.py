"""The process-wide settings start-up makes: the garbage collector held during heavy imports."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
import threading

import pytest

from dlviz import runtime


def test_a_stage_holds_the_collector_freezes_its_survivors_and_only_once(monkeypatch):
    monkeypatch.setattr(runtime, "_FROZEN", set())
    gc.unfreeze()
    assert gc.isenabled()
    kept = [[i] for i in range(1000)]  # alive through the stage: frozen after it
    with runtime.settling("libraries"):
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() >= len(kept)
    gc.unfreeze()
    with runtime.settling("libraries"):  # done already: nothing held, nothing frozen
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    gc.freeze()


def test_overlapping_stages_on_two_threads_resume_collection_when_the_last_ends(monkeypatch):
    monkeypatch.setattr(runtime, "_FROZEN", set())
    inside, leave = threading.Event(), threading.Event()

    def other():
        with runtime.settling("other"):
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with runtime.settling("mine"):
        pass
    assert not gc.isenabled(), "the other stage is still running"
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_stage_that_fails_still_gives_the_collector_back(monkeypatch):
    monkeypatch.setattr(runtime, "_FROZEN", set())
    try:
        with runtime.settling("broken"):
            raise RuntimeError("the import failed")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_work_on_a_device_that_one_thread_at_a_time_may_use_takes_turns():
    import time

    inside, most = [], []

    def job():
        with runtime.device_work():
            inside.append(1)
            most.append(len(inside))
            time.sleep(0.2)
            inside.pop()

    for shared, expected in ((True, 1), (False, 2)):
        runtime.one_thread_on_the_device(shared)
        most.clear()
        threads = [threading.Thread(target=job) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert max(most) == expected
    runtime.one_thread_on_the_device(False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="preloading is done on Linux only")
def test_preloading_torchs_libraries_loads_them_without_importing_torch():
    """In a fresh process: libtorch is mapped in, torch is not imported, and the import that
    follows works; a package that is not there is passed over. triton's extension (a CUDA build's)
    is mapped in too, when it is installed."""
    import subprocess

    script = (
        "import sys\n"
        "from dlviz import runtime\n"
        "runtime.preload('no_such_package_here', 'lib/x.so')\n"
        "runtime.preload_torch()\n"
        "runtime.preload_torch()\n"
        "maps = open('/proc/self/maps').read()\n"
        "assert 'torch' not in sys.modules\n"
        "assert 'libtorch_cpu.so' in maps, 'libtorch was not loaded'\n"
        "triton = runtime._package_file('triton', '_C/libtriton.so')\n"
        "assert triton is None or ('libtriton.so' in maps and 'triton' not in sys.modules)\n"
        "import torch\n"
        "print(float((torch.ones(3) * 2).sum()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=str(Path(__file__).resolve().parents[2]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6.0"


def test_short_turns_on_two_threads_give_the_interval_back_when_the_last_ends():
    """A file read and a trace at once: the switch interval is short while either runs, and goes
    back to what it was (not to the other's short value) when both have ended."""
    before = sys.getswitchinterval()
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def reader():
        with runtime.short_turns():
            first_in.set()
            second_done.wait(10)
            seen.append(sys.getswitchinterval())

    thread = threading.Thread(target=reader)
    thread.start()
    first_in.wait(10)
    with runtime.short_turns():
        seen.append(sys.getswitchinterval())
    second_done.set()
    thread.join(10)
    assert seen == [runtime.SHORT_TURN_S, runtime.SHORT_TURN_S]
    assert sys.getswitchinterval() == before


def test_a_file_is_read_with_short_turns_and_the_interval_is_given_back(tmp_path):
    from dlviz.core import textfile

    path = tmp_path / "rows.tsv"
    path.write_text("1\t2\n3\t4\n", encoding="utf-8")
    before, during = sys.getswitchinterval(), []
    for _, line in textfile.text_lines(path):
        during.append(sys.getswitchinterval())
    assert during == [runtime.SHORT_TURN_S] * 2 and sys.getswitchinterval() == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_a_thread_that_makes_way_for_the_window_runs_at_a_lower_priority():
    import os

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = []

    def worker():
        runtime.make_way_for_the_window()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    assert seen == [min(19, mine + 10)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # this thread's own is unchanged
