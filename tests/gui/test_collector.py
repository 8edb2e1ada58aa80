"""Garbage collected on the GUI thread between events, not wherever an allocation tips it."""

from __future__ import annotations

import gc
import weakref

import pytest

from dlviz import runtime
from dlviz.gui import collector as collector_module
from dlviz.gui.collector import Collector


class Cycle:
    def __init__(self):
        self.me = self


@pytest.fixture
def small_thresholds():
    before = gc.get_threshold()
    gc.set_threshold(50, 10, 10)
    yield
    gc.set_threshold(*before)


def garbage(count=200):
    """Objects only a collection can free (each refers to itself); weak references to them."""
    made = [Cycle() for _ in range(count)]
    refs = [weakref.ref(item) for item in made]
    del made
    return refs


def test_only_the_timer_collects_and_stopping_gives_collection_back(qtbot, small_thresholds):
    collector = Collector().start()
    try:
        assert not gc.isenabled()
        refs = garbage()
        assert all(ref() is not None for ref in refs)  # no automatic collection freed them
        qtbot.waitUntil(lambda: all(ref() is None for ref in refs), timeout=2000)  # a tick did
    finally:
        collector.stop()
    assert gc.isenabled()


def test_nothing_is_collected_while_a_start_up_stage_settles(qtbot, small_thresholds):
    collector = Collector().start()
    try:
        with runtime.settling("a stage of this test"):
            refs = garbage()
            assert collector.tick() == -1 and all(ref() is not None for ref in refs)
        assert not gc.isenabled()  # the stage's end leaves collection to the window
        refs = garbage()  # (what was alive at the stage's end is frozen, as start-up stages do)
        assert collector.tick() >= len(refs) and all(ref() is None for ref in refs)
    finally:
        collector.stop()


def test_the_generations_as_the_counters_say_and_a_full_collection_once_a_minute(monkeypatch):
    collector = Collector()
    asked, counts, now = [], [(10, 0, 0)], [1000.0]
    monkeypatch.setattr(collector_module.gc, "get_threshold", lambda: (700, 10, 10))
    monkeypatch.setattr(collector_module.gc, "get_count", lambda: counts[0])
    monkeypatch.setattr(collector_module.gc, "collect", lambda generation=2: asked.append(generation) or 0)
    monkeypatch.setattr(collector_module.time, "monotonic", lambda: now[0])
    collector._last_full = now[0]
    assert collector.tick() == -1 and asked == []  # too few new objects
    counts[0] = (700, 3, 0)
    collector.tick()
    counts[0] = (800, 10, 4)
    collector.tick()
    counts[0] = (800, 10, 10)
    collector.tick()  # the oldest is due, but the last full collection was under a minute ago
    now[0] += collector_module.FULL_EVERY_S
    collector.tick()
    collector.tick()  # and not again at once
    assert asked == [0, 1, 1, 2, 1]
