"""The other areas' modules are imported in a thread once the app has been up a moment, so their first visits
do not pay for it (about 100 ms in all on this machine)."""

from __future__ import annotations

import subprocess
import sys

from tui_support import settle


def test_every_warmed_module_exists_and_none_is_loaded_before():
    code = (
        "import sys\n"
        "from tinycrm.tui.app import WARM_MODULES, warm_imports\n"
        "early = [m for m in WARM_MODULES if m in sys.modules]\n"
        "assert not early, early\n"
        "warm_imports()\n"
        "missing = [m for m in WARM_MODULES if m not in sys.modules]\n"
        "assert not missing, missing\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


async def test_the_app_warms_the_other_areas_once_after_starting(make, monkeypatch):
    import asyncio

    from tinycrm.tui import app as app_module

    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(app_module, "WARM_AFTER_S", 0.05)
    monkeypatch.setattr(
        app_module, "warm_imports", lambda modules=app_module.WARM_MODULES: calls.append(modules)
    )
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(100):
            if calls:
                break
            await asyncio.sleep(0.02)
        await pilot.pause(0.1)
    assert calls == [app_module.WARM_MODULES]
