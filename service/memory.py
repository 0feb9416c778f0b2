"""How a worker's C heap gives memory back (glibc's malloc, set once at start with mallopt).

By default glibc raises its mmap threshold to the largest block it has freed, so after one big
request (a batch of 256, an A4 scan) blocks of a few MB come from the heap instead of mmap, and
each thread's arena keeps them when they are freed: a worker's RSS grew 140 → 280-370 MB over
the bench's phases and stayed there. Fixed thresholds and two arenas kept it at 160-180 MB for
~5-10 % more time on the same work (measured with `Engine` on the bench's inputs, 4 threads).
"""

import ctypes
import logging

logger = logging.getLogger("digits")

M_TRIM_THRESHOLD = -1  # free heap above this many bytes at the top goes back to the system
M_MMAP_THRESHOLD = -3  # blocks from this many bytes are mmapped, and unmapped when freed
M_ARENA_MAX = -8  # malloc arenas shared by all threads (default: 8 per core)

SETTINGS = {M_MMAP_THRESHOLD: 2 << 20, M_TRIM_THRESHOLD: 16 << 20, M_ARENA_MAX: 2}


def return_freed_memory() -> bool:
    """Set SETTINGS before the worker's threads start; False where the C library is not glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        logger.info("malloc tuning skipped: no glibc mallopt")
        return False
    return all(mallopt(option, value) == 1 for option, value in SETTINGS.items())
