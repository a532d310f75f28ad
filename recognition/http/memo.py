"""A memo of a function of one argument, bounded in bytes rather than in entries.

What this project keys on request input (an address, say) can be as long as a
client makes it, and so can what is made from it (a QR code grows with its
address): a bound in entries is no bound in memory. This one counts what
Python holds for each entry, key and value (`sys.getsizeof`, plus the map's
own share), and drops the least recently used entries past the budget.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import update_wrapper

# What the ordered map spends on one entry besides its key and value: its node and hash slot, measured
# with tracemalloc on CPython 3.11 (about 100 bytes), and the (value, cost) pair it holds (84 bytes); rounded up.
ENTRY_OVERHEAD = 192
MISSING = object()


def entry_bytes(key: object, value: object) -> int:
    return sys.getsizeof(key) + sys.getsizeof(value)


class BytesMemo:
    """`function(key)`, each answer kept until the kept ones add up to more than `budget()` bytes.

    `budget` is read at every store, so a settings change (or a test's) takes effect at once. Thread-safe;
    two threads asking for the same new key at once may both compute it, which costs time, not memory.
    `size(key, value)`: what an entry holds, where `sys.getsizeof` of each (a string's size) does not tell it.
    """

    def __init__(
        self,
        function: Callable[[object], object],
        budget: Callable[[], int],
        size: Callable[[object, object], int] = entry_bytes,
    ):
        self.function = function
        self.budget = budget
        self.entry_size = size
        self._entries: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        update_wrapper(self, function)

    def __call__(self, key):
        with self._lock:
            kept = self._entries.get(key, MISSING)
            if kept is not MISSING:
                self._entries.move_to_end(key)
                return kept[0]
        value = self.function(key)
        cost = self.entry_size(key, value) + ENTRY_OVERHEAD
        limit = self.budget()
        if cost > limit:
            return value
        with self._lock:
            if key not in self._entries:
                # Its cost is kept with it: counting a card's key again on eviction costs as much as counting it.
                self._entries[key] = (value, cost)
                self._bytes += cost
            while self._bytes > limit:
                _key, (_value, old_cost) = self._entries.popitem(last=False)
                self._bytes -= old_cost
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def kept_keys(self) -> list:
        with self._lock:
            return list(self._entries)

    @property
    def size(self) -> int:
        """Bytes held, as `entry_bytes` counts them."""
        return self._bytes

    def cache_clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def bounded_by_bytes(
    budget: Callable[[], int], size: Callable[[object, object], int] = entry_bytes
) -> Callable[[Callable[[object], object]], BytesMemo]:
    """Decorator: `@bounded_by_bytes(lambda: 8 * 1024 * 1024)`."""
    return lambda function: BytesMemo(function, budget, size)
