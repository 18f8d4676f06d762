"""Memory reuse between simulations: a glibc setting every simulating entry point applies once.

A simulation allocates arrays of a few to a few dozen MB (every candidate plan's scores, the 16-set tables),
frees them and allocates the same again: for the next merchant, the next batch chunk, the next lever step.
By default glibc hands such blocks back to the system on free and the next allocation faults the same pages
in again, zeroed; on this project's machines that cost about a quarter of a recommendation's time. Here
arrays up to 32 MB come from the heap and up to 256 MB of free heap is kept for reuse (``mallopt(3)``;
Linux with glibc only, elsewhere nothing changes). The figures are the same to the bit: only where the memory
comes from changes.
"""

from __future__ import annotations

import ctypes
import sys
from contextlib import suppress

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt(3) parameters
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value
TRIM_THRESHOLD = 256 << 20

_done = False


def keep_heap() -> None:
    """Apply the setting (once per process; forked workers inherit it)."""
    global _done
    if _done:
        return
    _done = True
    if not sys.platform.startswith("linux"):
        return
    with suppress(Exception):  # not glibc (no mallopt): the default allocator's behaviour stays
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
