"""`prefetched(items)`: iterate `items` one step ahead in a background thread.

Building the training cache decodes PNG blocks (zlib) and compresses frames (Zstandard); both release the
GIL inside their C calls, so decoding the next block while this one is compressed overlaps much of the two
(the Python work around each frame still takes turns: 22 s -> 17 s for `make demo`'s data). The producer's
exception is raised in the consumer, at the position it happened; a consumer that stops early (an
exception, or `close()`) stops the producer at its next item.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield `items` in order while a daemon thread produces up to `depth` of them ahead."""
    if depth < 1:
        raise ValueError(f"prefetched: depth must be >= 1, got {depth}")
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        """Hand one entry over, waiting while the queue is full; False once the consumer has stopped."""
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as e:  # handed to the consumer, raised there
            put((_DONE, e))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, name="simplevla-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5.0)
