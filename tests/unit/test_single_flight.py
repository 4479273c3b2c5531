"""The portal's head requests are shared only among requests that arrived before one was sent: a page never
reads a head older than itself (a block mined before it arrived, a recall, is always seen)."""

from __future__ import annotations

import threading
import time

from tradechain.portal.app import SingleFlight


def test_a_caller_arriving_during_a_call_gets_the_next_call_never_the_one_in_flight() -> None:
    flight = SingleFlight()
    calls: list[int] = []
    release = threading.Event()

    def slow() -> int:
        calls.append(len(calls) + 1)
        if len(calls) == 1:
            release.wait(5)
        return len(calls)

    first: list[int] = []
    t1 = threading.Thread(target=lambda: first.append(flight.get(slow)))
    t1.start()
    while not calls:
        time.sleep(0.001)
    late: list[int] = []
    t2 = threading.Thread(target=lambda: late.append(flight.get(slow)))
    t2.start()
    time.sleep(0.05)
    assert calls == [1]  # the late caller waits; it does not take the in-flight answer
    release.set()
    t1.join(5)
    t2.join(5)
    assert first == [1] and late == [2] and calls == [1, 2]


def test_callers_waiting_together_share_one_call() -> None:
    flight = SingleFlight()
    calls: list[int] = []
    gate = threading.Event()

    def blocked() -> int:
        calls.append(1)
        gate.wait(5)
        return len(calls)

    starter = threading.Thread(target=lambda: flight.get(blocked))
    starter.start()
    while not calls:
        time.sleep(0.001)
    answers: list[int] = []
    waiters = [threading.Thread(target=lambda: answers.append(flight.get(blocked))) for _ in range(20)]
    for w in waiters:
        w.start()
    time.sleep(0.05)
    gate.set()
    starter.join(5)
    for w in waiters:
        w.join(5)
    assert len(answers) == 20 and calls == [1, 1]  # 20 late callers: one more call between them, not 20


def test_a_failed_call_raises_for_those_who_waited_on_it() -> None:
    flight = SingleFlight()

    def down() -> int:
        raise ConnectionError("node down")

    try:
        flight.get(down)
    except ConnectionError as exc:
        assert str(exc) == "node down"
    else:
        raise AssertionError("the failure was not raised")
