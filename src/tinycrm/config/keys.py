"""Every key binding of the app, each with an id, and the keymap users set in the config file.

A binding id is ``AREA.ACTION`` (``contacts.search``). The ``[keys]`` section of the config file maps ids to
keys, in Textual's key names, several separated by commas::

    [keys]
    "contacts.search" = "slash"
    "app.quit" = "q,ctrl+q"

The ids and default keys are settings' defaults, so they live with the config (checking ``[keys]`` needs them
and must not import Textual); :mod:`tinycrm.tui.keys` turns them into Textual bindings. The help screen (``?``)
lists every binding with its id and its current key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    id: str
    key: str
    action: str
    description: str
    show: bool = True
    priority: bool = False
    key_display: str | None = None
    #: what the command palette and the help screen call it
    long: str = ""
    #: the footer's label where the full one does not fit
    short: str = ""
    #: the footer leaves it out first where its keys do not fit (the help screen lists it)
    minor: bool = False

    @property
    def title(self) -> str:
        return self.long or self.description


AREAS = {
    "app": "Everywhere",
    "contacts": "Contacts",
    "contact": "A contact",
    "interaction": "An interaction",
    "companies": "Companies",
    "company": "A company",
    "deal": "A deal",
    "campaigns": "Campaigns",
    "campaign": "A campaign",
    "duplicates": "Duplicates",
    "pipeline": "Pipeline",
    "agenda": "Agenda",
    "dashboard": "Dashboard",
    "tickets": "Tickets",
    "ticket": "A ticket",
    "leads": "Leads",
    "lead": "A lead",
    "list": "Paged lists",
    "form": "Forms and dialogs",
}

KEYS: list[Key] = [
    # everywhere
    Key("app.contacts", "1", "app.show('contacts')", "Contacts", show=False, key_display="1"),
    Key("app.companies", "2", "app.show('companies')", "Companies", show=False, key_display="2"),
    Key("app.pipeline", "3", "app.show('pipeline')", "Pipeline", show=False, key_display="3"),
    Key("app.agenda", "4", "app.show('agenda')", "Agenda", show=False, key_display="4"),
    Key("app.dashboard", "5", "app.show('dashboard')", "Dashboard", show=False, key_display="5"),
    Key("app.tickets", "6", "app.show('tickets')", "Tickets", show=False, key_display="6"),
    Key("app.leads", "7", "app.show('leads')", "Leads", show=False, key_display="7"),
    Key("app.help", "question_mark,f1", "app.help", "Help", key_display="?", long="Help: keys"),
    Key("app.theme", "ctrl+t", "app.toggle_theme", "Light/dark", show=False, long="Light/dark theme"),
    Key("app.palette", "ctrl+p", "app.command_palette", "Commands", show=False, priority=True),
    Key("app.quit", "ctrl+q", "app.quit", "Quit", show=False, priority=True, long="Quit"),
    Key("app.undo", "u", "app.undo", "Undo", show=False, long="Undo the last done, snooze, move or loss"),
    Key("app.refresh", "r", "app.refresh_screen", "Refresh", show=False, long="Reload this screen"),
    Key("app.task", "t", "app.new_task", "New task", show=False, long="New task"),
    Key(
        "app.campaigns", "M", "app.open_campaigns", "Campaigns", show=False, long="Campaigns (marketing mail)"
    ),
    Key(
        "app.duplicates",
        "D",
        "app.open_duplicates",
        "Duplicates",
        show=False,
        long="Duplicate contacts: compare, merge",
    ),
    # the contact list
    Key(
        "contacts.search",
        "slash",
        "focus_search",
        "Search",
        key_display="/",
        long="Search contacts",
        priority=True,
    ),
    Key("contacts.new", "n", "new_contact", "New", long="New contact", priority=True),
    Key("contacts.open", "enter", "open_contact", "Open", show=False, long="Open the contact"),
    Key(
        "contacts.log",
        "l",
        "log_interaction",
        "Log",
        long="Log an interaction with the highlighted contact",
        priority=True,
    ),
    Key("contacts.sort", "s", "cycle_sort", "Sort", long="Sort contacts (name, company, updated, added)"),
    Key(
        "contacts.tag",
        "number_sign",
        "focus_tag_filter",
        "Tag filter",
        show=False,
        key_display="#",
        long="Filter contacts by tag",
    ),
    Key(
        "contacts.company",
        "c",
        "focus_company_filter",
        "Company filter",
        show=False,
        long="Filter contacts by company",
    ),
    Key("contacts.archived", "h", "toggle_archived", "Archived", long="Show or hide archived contacts"),
    Key("contacts.refresh", "ctrl+r", "refresh", "Refresh", show=False, long="Refresh the contact list"),
    Key(
        "contacts.export",
        "x",
        "export",
        "Export",
        show=False,
        long="Export the contacts shown (vCard or CSV)",
    ),
    Key(
        "contacts.segment",
        "v",
        "pick_segment",
        "Segment",
        long="Show a saved segment (a saved view)",
        priority=True,
    ),
    Key(
        "contacts.save_segment",
        "V",
        "save_segment",
        "Save view",
        show=False,
        long="Save the search and filters as a segment",
        priority=True,
    ),
    # one contact
    Key(
        "contact.log",
        "l",
        "log_interaction",
        "Log",
        long="Log an interaction (call, email, meeting…)",
        priority=True,
    ),
    Key(
        "contact.follow_up",
        "f",
        "follow_up",
        "Follow-up",
        short="Follow",
        long="Add a follow-up task",
        priority=True,
    ),
    Key("contact.edit", "e", "edit", "Edit", long="Edit the contact", priority=True),
    Key(
        "contact.tag",
        "number_sign",
        "tag",
        "Tags",
        key_display="#",
        long="Tag or untag the contact",
        priority=True,
    ),
    Key("contact.task", "t", "new_task", "Task", long="New task for the contact", priority=True),
    Key(
        "contact.new_ticket",
        "T",
        "new_ticket",
        "Ticket",
        long="New support ticket for the contact",
        priority=True,
        minor=True,
    ),
    Key("contact.done", "d", "task_done", "Done", long="Mark the highlighted task done", priority=True),
    Key("contact.snooze", "z", "task_snooze", "Snooze", long="Snooze the highlighted task", priority=True),
    Key("contact.archive", "a", "archive", "Archive", show=False, long="Archive or bring back the contact"),
    Key("contact.company", "o", "open_company", "Company", show=False, long="Open the contact's company"),
    Key(
        "contact.new_deal",
        "n",
        "new_deal",
        "New deal",
        short="Deal",
        long="New deal with the contact",
        priority=True,
    ),
    Key("contact.back", "escape", "back", "Back", minor=True, show=False, long="Back to the list"),
    # one interaction (enter on the contact's timeline opens it)
    Key("interaction.edit", "e", "edit", "Edit", long="Edit the interaction", priority=True),
    Key("interaction.delete", "d", "delete", "Delete", minor=True, long="Delete the interaction"),
    Key("interaction.back", "escape", "back", "Back", minor=True, long="Back to the contact"),
    # companies
    Key("companies.open", "enter", "open_company", "Open", show=False),
    Key(
        "companies.search",
        "slash",
        "focus_search",
        "Search",
        key_display="/",
        long="Search companies",
        priority=True,
    ),
    Key("companies.new", "n", "new_company", "New", long="New company", priority=True),
    Key("companies.edit", "e", "edit_company", "Edit", long="Edit the highlighted company", priority=True),
    Key(
        "companies.delete", "d", "delete_company", "Delete", minor=True, long="Delete the highlighted company"
    ),
    Key("companies.refresh", "ctrl+r", "refresh", "Refresh", show=False),
    Key("company.open_person", "enter", "open_person", "Open person", show=False),
    Key("company.edit", "e", "edit", "Edit", long="Edit the company", priority=True),
    Key(
        "company.new_deal",
        "n",
        "new_deal",
        "New deal",
        short="Deal",
        long="New deal with the company",
        priority=True,
    ),
    Key("company.delete", "d", "delete", "Delete", minor=True, long="Delete the company"),
    Key("company.back", "escape", "back", "Back", minor=True),
    # one deal
    Key("deal.edit", "e", "edit", "Edit", long="Edit the deal", priority=True),
    Key(
        "deal.previous_stage",
        "less_than_sign",
        "step(-1)",
        "Stage back",
        key_display="<",
        short="Prev",
        long="Move the deal to the previous stage",
    ),
    Key(
        "deal.next_stage",
        "greater_than_sign",
        "step(1)",
        "Next stage",
        key_display=">",
        short="Next",
        long="Move the deal to the next stage",
    ),
    Key("deal.win", "w", "win", "Win", long="Win the deal"),
    Key("deal.lose", "x", "lose", "Lose", long="Lose the deal (with a reason)", priority=True),
    Key("deal.reopen", "o", "reopen", "Reopen", long="Reopen a won or lost deal"),
    Key("deal.done", "d", "task_done", "Done", long="Mark the highlighted task done", priority=True),
    Key("deal.snooze", "z", "task_snooze", "Snooze", long="Snooze the highlighted task", priority=True),
    Key(
        "deal.delete",
        "delete",
        "delete",
        "Delete",
        minor=True,
        key_display="del",
        long="Delete the deal (d marks the highlighted task done, as on the agenda)",
    ),
    Key("deal.task", "t", "new_task", "Task", long="New task for the deal", priority=True),
    Key("deal.back", "escape", "back", "Back", minor=True),
    # the pipeline board
    Key("pipeline.left", "left,h", "move_cursor(-1)", "Column left", show=False),
    Key("pipeline.right", "right,l", "move_cursor(1)", "Column right", show=False),
    Key("pipeline.up", "up,k", "move_row(-1)", "Deal up", show=False),
    Key("pipeline.down", "down,j", "move_row(1)", "Deal down", show=False),
    Key(
        "pipeline.previous_stage",
        "shift+left,less_than_sign",
        "step(-1)",
        "Stage back",
        key_display="⇧←",
        short="Prev",
        long="Move the deal to the previous stage",
    ),
    Key(
        "pipeline.next_stage",
        "shift+right,greater_than_sign",
        "step(1)",
        "Next stage",
        key_display="⇧→",
        short="Next",
        long="Move the deal to the next stage",
    ),
    Key("pipeline.win", "w", "win", "Win", long="Win the deal"),
    Key("pipeline.lose", "x", "lose", "Lose", long="Lose the deal (with a reason)", priority=True),
    Key("pipeline.open", "enter", "open_deal", "Open", show=False, long="Open the deal"),
    Key("pipeline.new", "n", "new_deal", "New", long="New deal", priority=True),
    Key("pipeline.first", "g,home", "move_row_to('first')", "First deal", show=False),
    Key("pipeline.last", "G,end", "move_row_to('last')", "Last deal", show=False),
    Key(
        "pipeline.switch",
        "p",
        "pick_pipeline",
        "Pipelines",
        show=False,
        long="Pick a pipeline",
        priority=True,
    ),
    Key("pipeline.refresh", "ctrl+r", "refresh", "Refresh", show=False),
    # campaigns (marketing) and one campaign
    Key("campaigns.open", "enter", "open_campaign", "Open", show=False, long="Open the campaign"),
    Key("campaigns.new", "n", "new_campaign", "New", long="New campaign from a segment", priority=True),
    Key(
        "campaigns.test",
        "m",
        "test_send",
        "Test mail",
        short="Test",
        long="Send a test of the campaign to yourself (t is a new task, as everywhere)",
        priority=True,
    ),
    Key("campaigns.send", "s", "send", "Send", long="Send the campaign (or go on sending it)"),
    Key("campaigns.back", "escape", "back", "Back", minor=True, long="Back"),
    Key(
        "campaign.test",
        "m",
        "test_send",
        "Test mail",
        short="Test",
        long="Send a test of the campaign to yourself (t is a new task, as everywhere)",
        priority=True,
    ),
    Key("campaign.send", "s", "send", "Send", long="Send the campaign (or go on sending it)"),
    Key("campaign.pause", "p", "pause", "Pause", long="Pause sending (send again goes on)"),
    Key("campaign.state", "f", "cycle_state", "Filter", long="Show recipients in one state"),
    Key("campaign.preview", "v", "show_tab('preview')", "Preview", show=False, long="Show the preview"),
    Key(
        "campaign.recipients",
        "c",
        "show_tab('recipients')",
        "Recipients",
        show=False,
        long="Show the recipients",
    ),
    Key("campaign.back", "escape", "back", "Back", minor=True, long="Back to the campaigns"),
    # duplicate contacts
    Key("duplicates.merge", "m", "merge", "Merge", long="Merge the pair (the right one into the left)"),
    Key("duplicates.swap", "s", "swap", "Swap", long="Swap which contact is kept"),
    Key("duplicates.dismiss", "x", "not_same", "Not same", long="Two people: leave the pair out of the list"),
    Key("duplicates.open", "enter", "open_contact", "Open", show=False, long="Open the contact that is kept"),
    Key("duplicates.back", "escape", "back", "Back", minor=True, long="Back"),
    # the agenda
    Key("agenda.done", "d", "done", "Done", long="Mark the task done"),
    Key("agenda.snooze", "z", "snooze", "Snooze", long="Snooze the task", priority=True),
    Key("agenda.open", "enter", "open_contact", "Open", long="Open the item's contact or deal"),
    Key("agenda.filter", "f", "filter_kind", "Filter", long="Show one kind of item (tasks, deals, people…)"),
    Key("agenda.down", "j", "cursor('down')", "Down", show=False),
    Key("agenda.up", "k", "cursor('up')", "Up", show=False),
    Key("agenda.first", "g", "cursor('first')", "First", show=False),
    Key("agenda.last", "G", "cursor('last')", "Last", show=False),
    Key("agenda.refresh", "ctrl+r", "refresh", "Refresh", show=False),
    # the dashboard
    Key("dashboard.refresh", "ctrl+r", "refresh", "Refresh"),
    # the support desk: the ticket queue and one ticket
    Key("tickets.open", "enter", "open_ticket", "Open", show=False, long="Open the ticket"),
    Key("tickets.new", "n", "new_ticket", "New", long="New ticket", priority=True),
    Key("tickets.status", "s", "cycle_status", "Status", long="Show open work, one status or all tickets"),
    Key("tickets.who", "w", "cycle_who", "Whose", long="Show everyone's, my or unassigned tickets"),
    Key(
        "tickets.breaching",
        "b",
        "toggle_breaching",
        "Breaching",
        short="SLA",
        long="Only tickets breaching their SLA",
    ),
    Key("ticket.reply", "m", "reply", "Reply", long="Reply to the customer by mail", priority=True),
    Key("ticket.note", "n", "note", "Note", long="Add an internal note", priority=True),
    Key("ticket.status", "s", "status", "Status", long="Change the ticket's status", priority=True),
    Key("ticket.priority", "p", "priority", "Priority", long="Change the ticket's priority", priority=True),
    Key("ticket.assign", "a", "assign", "Assign", long="Assign the ticket", priority=True),
    Key("ticket.contact", "o", "open_contact", "Contact", long="Open the ticket's contact"),
    Key("ticket.back", "escape", "back", "Back", minor=True, long="Back to the list"),
    # leads: the inbox by score and one lead
    Key("leads.open", "enter", "open_lead", "Open", show=False, long="Open the lead"),
    Key("leads.new", "n", "new_lead", "New", long="New lead", priority=True),
    Key("leads.status", "s", "cycle_status", "Status", long="Show open leads, one status or all"),
    Key("leads.score", "h", "cycle_score", "Score", long="Show leads from a minimum score"),
    Key("leads.sort", "o", "cycle_sort", "Sort", long="Sort leads by score or by when they came in"),
    Key("leads.convert", "c", "convert", "Convert", long="Convert the highlighted lead"),
    Key("lead.status", "s", "status", "Status", long="Change the lead's status", priority=True),
    Key("lead.log", "l", "log", "Log", long="Log a call, mail or meeting with the lead", priority=True),
    Key("lead.convert", "c", "convert", "Convert", long="Convert the lead to a contact and a deal"),
    Key("lead.edit", "e", "edit", "Edit", long="Edit the lead", priority=True),
    Key("lead.delete", "d", "delete", "Delete", minor=True, long="Delete the lead"),
    Key("lead.contact", "o", "open_contact", "Contact", long="Open the lead's contact"),
    Key("lead.back", "escape", "back", "Back", minor=True, long="Back to the list"),
    # every paged list (contacts, companies)
    Key("list.next_page", "pagedown", "page('next')", "Next page", show=False),
    Key("list.previous_page", "pageup", "page('previous')", "Previous page", show=False),
    Key("list.first_page", "ctrl+home", "page('first')", "First page", show=False),
    Key("list.last_page", "ctrl+end", "page('last')", "Last page", show=False),
    Key("list.down", "j", "cursor_down", "Down", show=False),
    Key("list.up", "k", "cursor_up", "Up", show=False),
    Key("list.first", "g", "page('first')", "First row", show=False),
    Key("list.last", "G", "page('last')", "Last row", show=False),
    # forms and dialogs
    Key("form.save", "ctrl+s", "save", "Save"),
    Key("form.cancel", "escape", "cancel", "Cancel"),
]

BY_ID = {k.id: k for k in KEYS}


class KeymapError(ValueError):
    """A bad entry of the ``[keys]`` section: ``message`` says what is allowed."""

    def __init__(self, message: str, binding_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.binding_id = binding_id


def keymap(section: Mapping[str, Any]) -> dict[str, str]:
    """The keymap of a ``[keys]`` config section (binding id -> comma-separated keys); :class:`KeymapError`
    for the first unknown id or bad key."""
    out: dict[str, str] = {}
    for binding_id, value in section.items():
        if binding_id not in BY_ID:
            raise KeymapError(_unknown(binding_id), binding_id)
        keys = value if isinstance(value, list) else [value]
        names = [k.strip() for item in keys if isinstance(item, str) for k in item.split(",") if k.strip()]
        good = keys and all(isinstance(item, str) for item in keys)
        if not good or not names or any(" " in k for k in names):
            raise KeymapError(
                f'{binding_id} must be a key name such as "slash" or "ctrl+f", several separated by commas '
                f"or in a list (got {value!r})",
                binding_id,
            )
        out[binding_id] = ",".join(names)
    return out


def _unknown(binding_id: str) -> str:
    import difflib

    close = difflib.get_close_matches(binding_id, list(BY_ID), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    area = binding_id.split(".", 1)[0]
    same = [k.id for k in KEYS if k.id.startswith(area + ".")]
    known = f"ids of {area}: {', '.join(same)}" if same else f"areas: {', '.join(AREAS)}"
    return f"{binding_id} is not a binding id{hint}; {known} (the app's help screen, ?, lists them all)"
