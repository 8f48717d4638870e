"""The command palette: each command once, with its key (no internal ids), and a jump to any contact, company
or deal by name."""

from __future__ import annotations

import pytest
from tui_support import press, settle

SIZE = (120, 36)


async def test_each_command_is_listed_once_with_its_key(make):
    from tinycrm.tui.commands import CrmCommands

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        provider = CrmCommands(app.screen)
        listed = list(provider._commands())
        names = [n.casefold() for n, _, _ in listed]
        assert len(names) == len(set(names))
        assert all(
            h.startswith("key: ") and "." not in h.split(":", 1)[1].split(",")[0] for _, h, _ in listed
        )
        assert "go to agenda" in names and "new task" in names
        assert any(n.startswith("undo") for n in names)
        assert type(app).COMMANDS == {next(iter(type(app).COMMANDS))}  # Textual's own are not added


@pytest.mark.parametrize(
    ("typed", "screen", "attr", "key"),
    [
        ("globex pilot", "DealScreen", "deal_id", "deal_globex"),
        ("initech", "CompanyScreen", "company_id", None),
        ("lovelace", "ContactScreen", "contact_id", "ada"),
    ],
)
async def test_jump_to_a_record(make, ids, db, typed, screen, attr, key):
    from textual.command import CommandPalette

    from tinycrm.services.people import companies

    wanted = ids[key] if key else companies.resolve(db, "Initech")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", f"type:{typed}")
        await pilot.pause(0.5)
        await settle(pilot)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        label = {"DealScreen": "Open deal", "CompanyScreen": "Open company", "ContactScreen": "Open contact"}
        from textual.widgets import OptionList

        options = palette.query_one(OptionList)
        for index in range(options.option_count):
            if str(options.get_option_at_index(index).prompt).startswith(label[screen]):
                options.highlighted = index
                break
        else:
            raise AssertionError("no record in the palette")
        await press(pilot, "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == screen and getattr(app.screen, attr) == wanted
