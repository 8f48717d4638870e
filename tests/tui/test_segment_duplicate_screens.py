"""Segments as saved views of the contact list, the Duplicates view with its merge preview, and the pipeline
picker, driven by keys and clicks and checked in the database."""

from __future__ import annotations

from tui_support import click_option, press, send_fast, settle

SIZE = (80, 24)


def shown_names(app) -> list[str]:
    return [c.display_name for c in app.screen.shown.items]


async def test_save_the_list_as_a_segment_and_pick_segments(make, db):
    from tinycrm.services.marketing import segments

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "type:tag:client", "enter", "V")
        form = app.screen
        assert type(form).__name__ == "SegmentForm"
        assert form.query_one("#query").value == "tag:client"
        await press(pilot, "type:clients", "ctrl+s")
        assert type(app.screen).__name__ == "ContactsScreen"
        assert app.screen.request.segment == "clients" and app.screen.request.query == ""
        assert shown_names(app) == ["Ada Lovelace", "Margaret Hamilton"]
        assert "segment clients" in str(app.screen.query_one("#status").render())

        await press(pilot, "v")  # the picker: All contacts, clients
        assert type(app.screen).__name__ == "Picker"
        await click_option(pilot, "#picker-options", 0)  # "All contacts", with the mouse
        assert app.screen.request.segment is None and len(shown_names(app)) == 9

        send_fast(pilot, "v", "type:clie", "enter")  # at full speed: the filter gets every letter
        await settle(pilot)
        assert app.screen.request.segment == "clients"
        await press(pilot, "slash", "type:margaret")  # searched within the segment
        assert shown_names(app) == ["Margaret Hamilton"]
    assert segments.get(db, "clients").query == "tag:client"


async def test_a_refused_segment_query_saves_nothing(make, db):
    from tinycrm.services.marketing import segments

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "V", "type:bad", "tab")
        app.screen.query_one("#query").value = "colour:red"
        await press(pilot, "ctrl+s")
        assert type(app.screen).__name__ == "SegmentForm"
        assert "colour" in str(app.screen.query_one("#form-error").render())
    assert segments.list_segments(db) == []


async def test_duplicates_preview_swap_and_merge(make, db, ids):
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts

    twin = contacts.create(
        db,
        ContactInput(
            "Ada King", emails=[Labeled("ada@acme.com"), Labeled("ada@home.example")], job_title="Countess"
        ),
    )
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "D")
        screen = app.screen
        assert type(screen).__name__ == "DuplicatesScreen"
        pair = screen.current_pair()
        assert {pair.a.id, pair.b.id} == {ids["ada"], twin.id}
        rows = {r.label: r for r in screen.preview.rows}
        assert screen.preview.keep_id == ids["ada"]
        assert (rows["job title"].result, rows["job title"].winner) == ("CTO", "keep+notes")
        assert rows["emails"].result == "ada@acme.com, ada@home.example"
        await press(pilot, "s")
        assert screen.preview.keep_id == twin.id
        assert screen.preview.rows[0].result == "Ada King"
        await press(pilot, "s", "m")
        assert type(app.screen).__name__ == "ConfirmDialog"
        await press(pilot, "n")
        assert contacts.get(db, twin.id).display_name == "Ada King", "called off: nothing merged"
        await press(pilot, "m")
        assert await pilot.click("#yes")
        await settle(pilot)
        assert app.screen is screen
        assert all(twin.id not in (p.a.id, p.b.id) for p in screen.pairs)
    merged = contacts.get(db, ids["ada"])
    assert [e.value for e in merged.emails] == ["ada@acme.com", "ada@home.example"]
    assert "job title: Countess" in (merged.notes or "")


async def test_pipeline_picker(make, db):
    from tinycrm.services.sales import pipelines

    pipelines.create(db, "Partnerships")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3", "p")
        assert type(app.screen).__name__ == "Picker"
        options = app.screen.query_one("#picker-options")
        assert options.option_count == 2 and options.highlighted == 0
        await press(pilot, "type:partner", "enter")
        assert app.screen.board.pipeline.name == "Partnerships"
        await press(pilot, "p")
        await click_option(pilot, "#picker-options", 0)
        assert app.screen.board.pipeline.name == "Sales"
        await press(pilot, "p", "escape")
        assert type(app.screen).__name__ == "PipelineScreen" and app.screen.board.pipeline.name == "Sales"


async def test_new_screens_open_at_every_size(make, db):
    """Campaigns, a campaign, duplicates and the pickers at the smallest and a large size (80x24 is every other
    test's): nothing raises, also when the terminal is resized with them open."""
    from tinycrm.services.marketing import campaigns, segments

    segments.add(db, "vips", "tag:vip")
    campaigns.add(db, "news", segment="vips", subject="News", template="Hi {{ contact.given_name }}")
    app = make()
    async with app.run_test(size=(20, 10)) as pilot:
        await settle(pilot)
        await press(pilot, "M", "enter", "c")
        await pilot.resize_terminal(200, 60)
        await press(pilot, "escape", "escape", "D")
        await pilot.resize_terminal(20, 10)
        await press(pilot, "escape", "v")
        await pilot.resize_terminal(200, 60)
        await press(pilot, "escape", "3", "p")
        await pilot.resize_terminal(20, 10)
        await press(pilot, "escape")
        assert type(app.screen).__name__ == "PipelineScreen"
