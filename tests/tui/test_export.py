"""Exporting the contacts a list shows (``x`` on Contacts): the format picked with keys, the file written by the
export service into the downloads folder (private, never over another file), what a browser would be handed
under ``crm serve``, and a list with nothing in it. Checked against the files and the database."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

import pytest
from tui_support import press, settle

SIZE = (80, 24)
DAY = "2026-03-02"  # the sample's clock


async def _exported(pilot, folder: Path, count: int) -> list[Path]:
    """The files in ``folder`` once ``count`` of them are there (the export runs in a worker)."""
    for _ in range(100):
        await pilot.pause(0.05)
        files = sorted(folder.iterdir())
        if len(files) >= count:
            await settle(pilot)
            return files
    raise AssertionError(f"{folder} holds {sorted(folder.iterdir())}")


def _notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]  # noqa: SLF001 - what the toasts show


@pytest.fixture
def downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(folder))
    return folder


async def test_a_search_exported_as_vcards_then_as_google_csv(make, db, downloads):
    from tinycrm.services.people import contact_search

    want = sorted(c.display_name for c in contact_search.search(db, "tag:client", limit=50).items)
    assert len(want) == 2
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "type:tag:client", "enter", "x")
        assert type(app.screen).__name__ == "Picker"
        assert "Export the 2 contacts shown as" in str(app.screen.query_one(".dialog-title").render())
        await press(pilot, "enter")  # the first format: vCard 3.0
        [card_file] = await _exported(pilot, downloads, 1)
        assert card_file.name == f"contacts-{DAY}.vcf"
        assert stat.S_IMODE(card_file.stat().st_mode) == 0o600
        cards = card_file.read_text(encoding="utf-8")
        assert cards.count("BEGIN:VCARD") == 2 and "VERSION:3.0" in cards
        assert [n for n in want if f"FN:{n}" in cards] == want
        assert any(f"contacts-{DAY}.vcf" in n for n in _notices(app))

        await press(pilot, "x", "type:google", "enter")
        files = await _exported(pilot, downloads, 2)
        sheet = downloads / f"contacts-{DAY}.csv"
        assert sheet in files
        rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
        assert sorted(f"{r['First Name']} {r['Last Name']}" for r in rows) == want
        assert all(r["E-mail 1 - Value"] for r in rows)

        before = card_file.read_bytes()
        await press(pilot, "x", "enter")  # the same name again: a new file beside it
        files = await _exported(pilot, downloads, 3)
        assert downloads / f"contacts-{DAY}-2.vcf" in files and card_file.read_bytes() == before


async def test_the_export_follows_the_archived_switch_and_the_tag_filter(make, db, downloads):
    from tinycrm.services.people import contact_search, contacts

    everyone = contact_search.list_contacts(db, limit=100).total
    first = contact_search.list_contacts(db, limit=1).items[0]
    contacts.archive(db, first.id)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "x", "type:csv", "enter")  # CSV (tinycrm's columns): the list hides archived ones
        [sheet] = await _exported(pilot, downloads, 1)
        names = [r["Name"] for r in csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig")))]
        assert len(names) == everyone - 1 and first.display_name not in names
        await press(pilot, "h")  # archived ones shown too
        await settle(pilot)
        await press(pilot, "x", "type:csv", "enter")
        await _exported(pilot, downloads, 2)
        second = downloads / f"contacts-{DAY}-2.csv"
        assert first.display_name in second.read_text(encoding="utf-8-sig")


async def test_in_a_browser_the_file_is_handed_over_and_nothing_stays_behind(make, downloads, monkeypatch):
    """Under ``crm serve`` the app hands the file to Textual's delivery (the browser downloads it); the file
    written for it has no name left on disk, and the downloads folder of the server is not touched."""
    from textual.app import App

    handed: list[tuple[str, dict]] = []
    monkeypatch.setattr(App, "is_web", property(lambda self: True))

    def deliver_text(self, handle, **options):  # noqa: ANN001, ANN003, ANN202
        handed.append((handle.read(), options, getattr(handle, "name", "")))
        handle.close()

    monkeypatch.setattr(App, "deliver_text", deliver_text)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "type:tag:client", "enter", "x", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if handed:
                break
        await settle(pilot)
        [(text, options, name)] = handed
        assert text.count("BEGIN:VCARD") == 2
        assert options == {
            "save_filename": f"contacts-{DAY}.vcf",
            "mime_type": "text/vcard",
            "encoding": "utf-8",
        }
        assert not Path(name).exists()
        assert any(f"to the browser as contacts-{DAY}.vcf" in n for n in _notices(app))
    assert list(downloads.iterdir()) == []


async def test_nothing_to_export(make, downloads):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "type:zzzzqq", "enter", "x")
        assert type(app.screen).__name__ == "ContactsScreen"
        assert "There are no contacts to export here." in _notices(app)
    assert list(downloads.iterdir()) == []
