"""The app driven by keys, as a person would; the database checked through the services afterwards."""

from __future__ import annotations

import pytest
from tui_support import press, settle

SIZE = (120, 36)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_contact(pilot, name: str) -> None:
    await press(pilot, "slash", f"type:{name}", "enter", "enter")
    assert screen_name(pilot.app) == "ContactScreen"


async def test_add_a_contact(make, db):
    from tinycrm.services.people import contacts

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert screen_name(app) == "ContactForm"
        await press(
            pilot,
            "type:Hedy Lamarr",
            "tab",
            "type:hedy@example.com",
            "tab",
            "tab",
            "type:Acme Corporation",
            "ctrl+s",
        )
        assert screen_name(app) == "ContactScreen"  # the new contact opens
    page = contacts.search(db, "hedy")
    assert [c.display_name for c in page.items] == ["Hedy Lamarr"]
    hedy = contacts.get(db, page.items[0].id)
    assert [e.value for e in hedy.emails] == ["hedy@example.com"]
    assert hedy.company is not None and hedy.company.name == "Acme Corporation"


async def test_a_refused_contact_shows_the_message_by_the_field_and_saves_nothing(make, db):
    from tinycrm.services.people import contacts
    from tinycrm.tui.widgets.fields import Field

    before = contacts.list_contacts(db, archived=None).total
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "type:Nobody", "tab", "type:not-an-email", "ctrl+s")
        assert screen_name(app) == "ContactForm"
        field = app.screen.query_one("#f-emails", Field)
        assert field.has_class("-invalid")
        assert "not an email address" in str(field.query_one(".field-error").render())
        assert not app.screen.query_one("#f-name", Field).has_class("-invalid")
        await press(pilot, "escape")
        assert screen_name(app) == "ContactsScreen"
    assert contacts.list_contacts(db, archived=None).total == before


async def test_log_an_interaction(make, db, ids):
    from tinycrm.services.people import interactions

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_contact(pilot, "lovelace")
        await press(pilot, "l")
        assert screen_name(app) == "InteractionForm"
        # the form opens on the summary; go back to the kind and the time
        await press(pilot, "type:Demo of the new board", "shift+tab", "type:yesterday 16:30", "ctrl+s")
        assert screen_name(app) == "ContactScreen"
    latest = interactions.timeline(db, ids["ada"], limit=1).items[0]
    assert latest.summary == "Demo of the new board"
    assert latest.kind == "call"
    assert latest.happened_at.isoformat() == "2026-03-01T16:30:00+00:00"


async def test_an_unreadable_date_is_refused_next_to_the_field(make, db, ids):
    from tinycrm.services.people import interactions
    from tinycrm.tui.widgets.fields import Field

    before = interactions.timeline(db, ids["ada"]).total
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_contact(pilot, "lovelace")
        await press(pilot, "l", "type:Call", "shift+tab", "type:the day after never", "ctrl+s")
        assert screen_name(app) == "InteractionForm"
        assert app.screen.query_one("#f-when", Field).has_class("-invalid")
    assert interactions.timeline(db, ids["ada"]).total == before


async def test_move_a_deal_to_the_next_stage_and_win_it(make, db, ids):
    from tinycrm.services.sales import deals

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        assert screen_name(app) == "PipelineScreen"
        assert app.screen.current_deal() == ids["deal_globex"]  # Lead: soonest expected close first
        await press(pilot, "shift+right")
        assert deals.get(db, ids["deal_globex"]).stage == "Qualified"
        assert app.screen.current_deal() == ids["deal_globex"]  # the cursor follows the deal
        await press(pilot, "w")
        assert screen_name(app) == "ConfirmDialog"
        await press(pilot, "y")
        assert screen_name(app) == "PipelineScreen"
    won = deals.get(db, ids["deal_globex"])
    assert (won.status, won.stage) == ("won", "Qualified")


async def test_win_can_be_called_off(make, db, ids):
    from tinycrm.services.sales import deals

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3", "w", "n")
    assert deals.get(db, ids["deal_globex"]).status == "open"


async def test_lose_a_deal_with_a_reason(make, db, ids):
    from tinycrm.services.sales import deals
    from tinycrm.tui.widgets.fields import Field

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3", "right")
        assert app.screen.current_deal() == ids["deal_initech"]
        await press(pilot, "x")
        assert screen_name(app) == "LoseForm"
        await press(pilot, "ctrl+s")  # no reason: refused, by the field
        assert app.screen.query_one("#f-reason", Field).has_class("-invalid")
        assert deals.get(db, ids["deal_initech"]).status == "open"
        await press(pilot, "type:went with a competitor", "enter")
        assert screen_name(app) == "PipelineScreen"
    lost = deals.get(db, ids["deal_initech"])
    assert (lost.status, lost.lost_reason) == ("lost", "went with a competitor")


async def test_complete_a_task_from_the_agenda(make, db, ids):
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        assert screen_name(app) == "AgendaScreen"
        for _ in range(20):
            item = app.screen.current()
            if item is not None and item.task_id == ids["task_contract"]:
                break
            await press(pilot, "down")
        assert app.screen.current().task_id == ids["task_contract"]
        await press(pilot, "d")
        assert all(i.task_id != ids["task_contract"] for i in app.screen.items)
    assert tasks.get(db, ids["task_contract"]).done_at is not None


async def test_snooze_a_task(make, db, ids):
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        while app.screen.current() is None or app.screen.current().task_id != ids["task_call"]:
            await press(pilot, "down")
        await press(pilot, "z", "ctrl+s")
    task = tasks.get(db, ids["task_call"])
    assert task.snoozed_until is not None and task.snoozed_until.isoformat() == "2026-03-03T15:00:00+00:00"


async def test_search_as_you_type(make):
    from tinycrm.tui.widgets.paged_table import PagedTable

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        assert table.total == 9  # Katherine is archived
        await press(pilot, "slash", "type:gr")
        assert [table.get_row_at(i)[0].plain for i in range(table.row_count)] == ["Grace Hopper"]
        await press(pilot, "backspace", "backspace", "type:tag:vip")
        names = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        assert sorted(names) == ["Ada Lovelace", "Zoë Müller"]
        await press(pilot, "escape")


async def test_archived_are_hidden_until_asked_for(make):
    from tinycrm.tui.widgets.paged_table import PagedTable

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        assert table.total == 9
        await press(pilot, "h")
        assert table.total == 10


async def test_pages_come_from_the_database(make):
    from tinycrm.tui.widgets.paged_table import PagedTable

    app = make()
    async with app.run_test(size=(100, 14)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        first = list(table.keys)
        assert 0 < len(first) < 9 and table.total == 9
        await press(pilot, "pagedown")
        assert table.offset_ == len(first)
        assert set(table.keys).isdisjoint(first)
        await press(pilot, "pageup")
        assert table.keys == first
        for _ in range(len(first)):
            await press(pilot, "down")
        assert table.offset_ == len(first)  # down on the last row fetched the next page


async def test_vi_keys_move_through_the_pages(make):
    from tinycrm.tui.widgets.paged_table import PagedTable

    app = make()
    async with app.run_test(size=(100, 14)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        table.focus()
        size = len(table.keys)
        await press(pilot, "j")
        assert table.cursor_row == 1 and table.offset_ == 0
        await press(pilot, "k")
        assert table.cursor_row == 0
        await press(pilot, "G")  # the last row of the whole list, on the last page
        assert table.offset_ > 0 and table.current_key == table.keys[-1]
        assert table.offset_ + len(table.keys) == table.total == 9
        await press(pilot, "g")
        assert table.offset_ == 0 and table.cursor_row == 0
        for _ in range(size):
            await press(pilot, "j")
        assert table.offset_ == size  # j past the last row fetched the next page


async def test_sort_and_filter_by_company(make):
    from textual.widgets import Select

    from tinycrm.tui.widgets.paged_table import PagedTable

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        app.screen.query_one("#company-filter", Select).value = "Globex"
        await settle(pilot)
        assert table.total == 2
        await press(pilot, "s")  # by company, then name
        assert app.screen.request.sort == "company"


async def test_tags_and_archive(make, db, ids):
    from tinycrm.services.people import contacts

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_contact(pilot, "turing")
        await press(pilot, "number_sign", "type:, speaker", "enter")
        await press(pilot, "a", "y")
    alan = contacts.get(db, ids["alan"])
    assert alan.tags == ["partner", "speaker"]
    assert alan.archived


async def test_add_a_follow_up(make, db, ids):
    from tinycrm.services.work import tasks

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_contact(pilot, "turing")
        await press(pilot, "f", "ctrl+s")
    page = tasks.list_tasks(db, contact_id=ids["alan"])
    assert [t.title for t in page.items] == ["Follow up with Alan Turing"]


async def test_edit_a_contact(make, db, ids):
    from tinycrm.services.people import contacts

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_contact(pilot, "dijkstra")
        await press(pilot, "e", "tab", "tab", "tab", "tab", "ctrl+a" if False else "end")
        form = app.screen
        form.query_one("#job_title").value = "Professor"
        await press(pilot, "ctrl+s")
    assert contacts.get(db, ids["edsger"]).job_title == "Professor"


async def test_keys_are_remapped_from_the_config_file(make, monkeypatch, tmp_path):
    from tinycrm import config

    (tmp_path / "home" / "config.toml").write_text('[keys]\n"contacts.search" = "ctrl+f"\n')
    config.reset()
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+f")
        assert app.focused is not None and app.focused.id == "search"
        await press(pilot, "f1")  # ? types into the search box; F1 works anywhere
        assert screen_name(app) == "HelpScreen"
        await press(pilot, "escape")


async def test_theme_toggles_and_is_remembered(make):
    from tinycrm.tui.app import load_ui_state, make_app

    app = make()
    app.remember_theme = True
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "tinycrm-dark"
        await press(pilot, "ctrl+t")
        assert app.theme == "tinycrm-light"
    assert load_ui_state()["theme"] == "light"
    assert make_app(app.db.url).theme == "tinycrm-light"


async def test_command_palette_runs_actions(make):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", "type:new contact")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        assert screen_name(app) == "ContactForm"


async def test_every_area_opens(make):
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, name in [
            ("2", "CompaniesScreen"),
            ("3", "PipelineScreen"),
            ("4", "AgendaScreen"),
            ("5", "DashboardScreen"),
            ("1", "ContactsScreen"),
        ]:
            await press(pilot, key)
            assert screen_name(app) == name
        await press(pilot, "2", "enter")
        assert screen_name(app) == "CompanyScreen"
        await press(pilot, "enter")
        assert screen_name(app) == "ContactScreen"


@pytest.mark.parametrize("binding", ["app.quit"])
def test_every_binding_has_an_id(binding):
    from tinycrm.tui import keys

    assert binding in keys.BY_ID
    assert all(k.id and "." in k.id for k in keys.KEYS)
    assert len({k.id for k in keys.KEYS}) == len(keys.KEYS)
