"""`prefetched`: the same items in the same order, the producer's error raised in the consumer, and a
consumer that stops early stops the producer."""

from __future__ import annotations

import threading

import pytest

from simplevla.data.prefetch import prefetched


def test_same_items_in_order():
    assert list(prefetched(iter(range(1000)), depth=3)) == list(range(1000))
    assert list(prefetched([])) == []


def test_producer_error_is_raised_where_it_happened():
    def items():
        yield 1
        yield 2
        raise OSError("truncated block")

    got = []
    with pytest.raises(OSError, match="truncated block"):
        for x in prefetched(items()):
            got.append(x)
    assert got == [1, 2]


def test_early_stop_stops_the_producer():
    produced = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    gen = prefetched(items(), depth=2)
    assert [next(gen) for _ in range(3)] == [0, 1, 2]
    gen.close()  # joins the producer
    assert not any(t.name == "simplevla-prefetch" and t.is_alive() for t in threading.enumerate())
    assert len(produced) <= 3 + 2 + 1  # what was consumed, the queue's depth, one in hand


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        next(prefetched([1], depth=0))
