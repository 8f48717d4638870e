"""The cycle collector while the app runs: no full collection while someone types or a screen is being drawn,
one once the app is idle, and CPython's own thresholds back when the app ends."""

from __future__ import annotations

import asyncio
import gc
import time

from tui_support import press, settle


class Cycle:
    def __init__(self) -> None:
        self.me = self


def make_garbage(n: int = 200_000) -> None:
    """Cycles enough to run the middle generation's collection many times over."""
    for _ in range(n):
        Cycle()


async def test_full_collections_wait_until_the_app_is_idle(make, monkeypatch):
    from tinycrm.tui import heap

    monkeypatch.setattr(heap, "IDLE_S", 1.0)
    monkeypatch.setattr(heap, "TICK_S", 0.05)
    before = gc.get_threshold()
    app = make()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] == heap.OLDEST_THRESHOLD  # CPython does not start one of its own
        collections = app.heap.collections
        # someone typing: a key every 0.1 s, garbage made in between, nothing collected in full
        for _ in range(8):
            make_garbage(20_000)
            await press(pilot, "j")
            await asyncio.sleep(0.1)
        assert app.heap.collections == collections
        assert gc.get_count()[2] >= before[2]  # the middle generation ran enough times for one
        # then nobody types: one full collection, soon
        deadline = time.monotonic() + 10
        while app.heap.collections == collections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert app.heap.collections == collections + 1
        assert gc.get_count()[2] < before[2]
    assert gc.get_threshold() == before  # the app is over: CPython's thresholds again
