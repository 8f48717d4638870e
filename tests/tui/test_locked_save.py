"""A form saving while another process holds the SQLite file's write lock: it says how long it has waited,
Cancel gives up with nothing written and the input kept, and the save goes through once the lock is gone."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from tui_support import press, settle

SIZE = (120, 36)

#: holds the write lock of the database file in argv[1] until its standard input closes
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE companies SET name = name WHERE id < 0")
print("locked", flush=True)
sys.stdin.read()
conn.rollback()
"""


def hold_lock(url: str) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url.removeprefix("sqlite:///")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def release(holder: subprocess.Popen) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(10)


async def until(pilot, condition, what: str, timeout: float = 10.0) -> None:
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout, f"waited {timeout} s for {what}"
        await asyncio.sleep(0.05)
    await pilot.pause()


def form_message(app) -> str:
    from textual.widgets import Static

    return str(app.screen.query_one("#form-error", Static).render())


def company_names(db) -> list[str]:
    from tinycrm.services.people import companies

    return [c.name for c in companies.list_companies(db, limit=100).items]


async def open_company_form(pilot, name: str) -> None:
    await settle(pilot)
    await press(pilot, "2")
    await press(pilot, "n", f"type:{name}")
    assert type(pilot.app.screen).__name__ == "CompanyForm"


async def test_cancel_while_the_database_is_locked_keeps_the_form_and_writes_nothing(make, db, sample_url):
    from textual.widgets import Button

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await open_company_form(pilot, "Zeta Widgets")
        holder = hold_lock(sample_url)
        try:
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "Waiting for the database" in form_message(app), "the progress")
            await until(pilot, lambda: "(1 s)" in form_message(app), "a second counted")
            assert not app.screen.query_one("#cancel", Button).disabled
            assert app.screen.query_one("#save", Button).disabled
            await pilot.click("#cancel")
            await until(pilot, lambda: "Not saved" in form_message(app), "the save to give up")
            assert type(app.screen).__name__ == "CompanyForm"
            assert app.screen.input("name").value == "Zeta Widgets"
            assert not app.screen.query_one("#save", Button).disabled
        finally:
            release(holder)
        assert "Zeta Widgets" not in company_names(db)
        await pilot.press("ctrl+s")  # the lock is gone: the same input saves
        await until(pilot, lambda: type(app.screen).__name__ != "CompanyForm", "the form to close")
        await settle(pilot)
    assert company_names(db).count("Zeta Widgets") == 1


async def test_a_save_waiting_for_the_lock_goes_through_when_it_is_released(make, db, sample_url):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await open_company_form(pilot, "Omega Tools")
        holder = hold_lock(sample_url)
        try:
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "Waiting for the database" in form_message(app), "the progress")
            assert "Omega Tools" not in company_names(db)
        finally:
            release(holder)
        await until(pilot, lambda: type(app.screen).__name__ != "CompanyForm", "the form to close")
        await settle(pilot)
    assert company_names(db).count("Omega Tools") == 1


async def test_cancel_before_any_wait_still_closes_the_form(make):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await open_company_form(pilot, "Nobody")
        await press(pilot, "escape")
        assert type(app.screen).__name__ != "CompanyForm"
