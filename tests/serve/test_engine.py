"""The inference gate on its own: a timed-out unit gives its slot up, stuck slots make it unhealthy, shutdown
asks running work to stop."""

from __future__ import annotations

import threading

import pytest

from scriba.serve.engine import Cancelled, InferenceGate


def blocker(started: threading.Event, release: threading.Event, cancel: threading.Event) -> str:
    """Work that runs until released, then stops at its next check if it was cancelled meanwhile."""
    started.set()
    assert release.wait(60)
    if cancel.is_set():
        raise Cancelled()
    return "done"


def test_abandoned_work_frees_its_slot_and_stuck_slots_are_unhealthy() -> None:
    gate = InferenceGate(slots=1, queue=4)
    try:
        first = [threading.Event(), threading.Event(), threading.Event()]
        f1 = gate.submit(blocker, *first, cancel=first[2])
        assert first[0].wait(30)
        assert gate.healthy()
        gate.abandon(f1)  # timed out: asked to stop, slot given up, runs on in a spare thread
        assert first[2].is_set() and gate.healthy()
        # The next unit runs at once although the first has not stopped.
        assert gate.submit(lambda: "next").result(30) == "next"
        second = [threading.Event(), threading.Event(), threading.Event()]
        f2 = gate.submit(blocker, *second, cancel=second[2])
        assert second[0].wait(30)
        gate.abandon(f2)  # no spare thread left: it keeps its slot, and nothing else can run
        assert not gate.healthy()
        first[1].set()  # the first reaches its check and stops: its spare thread is free again
        with pytest.raises(Cancelled):
            f1.result(30)
        assert gate.healthy()
        assert gate.submit(lambda: "again").result(30) == "again"
        second[1].set()
        with pytest.raises(Cancelled):
            f2.result(30)
    finally:
        gate.shutdown()


def test_shutdown_asks_running_work_to_stop_and_refuses_more() -> None:
    gate = InferenceGate(slots=1, queue=4)
    started, release, cancel = threading.Event(), threading.Event(), threading.Event()
    future = gate.submit(blocker, started, release, cancel, cancel=cancel)
    assert started.wait(30)
    gate.shutdown()
    assert cancel.is_set() and not gate.healthy()
    release.set()
    with pytest.raises(Cancelled):
        future.result(30)
    with pytest.raises(Exception, match="busy"):
        gate.submit(lambda: None)
