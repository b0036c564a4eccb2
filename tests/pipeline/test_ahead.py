"""One item of look-ahead: results in order, errors where they belong, nothing left open."""

from __future__ import annotations

import contextlib
import threading

import pytest

from scriba.pipeline.ahead import one_ahead


def test_results_in_order_and_prepared_on_another_thread() -> None:
    threads: set[int] = set()

    def prepare(x: int) -> int:
        threads.add(threading.get_ident())
        return x * x

    assert [take() for take in one_ahead([1, 2, 3], prepare, lambda r: None)] == [1, 4, 9]
    assert threading.get_ident() not in threads
    assert list(one_ahead([], prepare, lambda r: None)) == []


def test_an_error_comes_out_when_its_item_is_taken() -> None:
    def prepare(x: int) -> int:
        if x == 2:
            raise ValueError("bad item")
        return x

    out: list[object] = []
    for take in one_ahead([1, 2, 3], prepare, lambda r: None):
        try:
            out.append(take())
        except ValueError as exc:
            out.append(str(exc))
    assert out == [1, "bad item", 3]


def test_stopping_early_discards_what_was_prepared_and_not_taken() -> None:
    discarded: list[int] = []
    taken = []
    with contextlib.closing(one_ahead(list(range(10)), lambda x: x, discarded.append)) as it:
        for k, take in enumerate(it):
            if k == 2:
                break  # item 2 handed out but not taken; item 3 prepared ahead
            taken.append(take())
    assert taken == [0, 1] and sorted(discarded) == [2, 3]


def test_an_error_while_stopping_is_not_raised_again() -> None:
    def prepare(x: int) -> int:
        if x == 1:
            raise RuntimeError("never asked for")
        return x

    it = one_ahead([0, 1], prepare, lambda r: None)
    assert next(it)() == 0
    it.close()  # item 1 failed ahead; nobody took it
    with pytest.raises(StopIteration):
        next(it)
