"""The cycle collector while the app runs: its full collections wait until nobody is typing.

CPython collects its oldest generation after every ten collections of the middle one (once enough new objects
have survived). In the app that generation holds everything it keeps: the screens of the areas visited, their
widgets and styles, 100,000 to 230,000 objects; each full collection took the UI thread 40-80 ms of CPU on
the scale database's app, and a first visit builds enough objects to start one or two of them (the pipeline
board twice, the companies list, the tickets once). While the app runs, the oldest generation is left to a
thread that collects it once the app has been idle for :data:`IDLE_S`: no key or mouse event, and next to
no CPU time spent (no screen being drawn, no query being read), when CPython would have by then. The young generations are collected as before: a few milliseconds each, on the way.
"""

from __future__ import annotations

import gc
import threading
import time

#: how long without a key or a mouse event, or work, before the oldest generation is collected
IDLE_S = 1.0
#: how often the thread looks, and the share of that time the process may have spent on the CPU and be idle
TICK_S = 0.25
IDLE_CPU = 0.05
#: no automatic full collection while the app runs (the idle thread does them)
OLDEST_THRESHOLD = 1_000_000


class IdleCollector:
    """Started when the app is mounted, stopped when it is unmounted (the thresholds go back as they were)."""

    def __init__(self) -> None:
        self.last_input = time.monotonic()
        self.saved: tuple[int, int, int] | None = None
        self.stop_event = threading.Event()
        #: the full collections done so far (the tests look)
        self.collections = 0

    def start(self) -> None:
        self.saved = gc.get_threshold()
        young, middle, oldest = self.saved
        #: CPython's cadence, to be kept while idle: a full collection after this many middle ones
        self.every = max(1, oldest)
        gc.set_threshold(young, middle, OLDEST_THRESHOLD)
        threading.Thread(target=self._run, daemon=True, name="idle-gc").start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.saved is not None:
            gc.set_threshold(*self.saved)
            self.saved = None

    def touched(self) -> None:
        """A key or a mouse event came in."""
        self.last_input = time.monotonic()

    def _run(self) -> None:
        cpu = time.process_time()
        busy = time.monotonic()
        while not self.stop_event.wait(TICK_S):
            now, spent = time.monotonic(), time.process_time()
            if spent - cpu > TICK_S * IDLE_CPU:
                busy = now  # drawing, reading: not idle
            cpu = spent
            if now - max(self.last_input, busy) < IDLE_S:
                continue
            if gc.get_count()[2] >= self.every:  # as many middle collections as CPython waits for
                gc.collect()
                self.collections += 1
