"""Segments as saved views of the contact list: pick one (``v``) and the list shows its members, a page at a
time from SQL (searched, sorted and filtered as usual); save what the list shows (``V``: the search and the tag
and company filters) as a new segment, the same one ``crm segment`` lists and campaigns send to."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tinycrm.tui.format import escape
from tinycrm.tui.screens.campaign_forms import TopForm
from tinycrm.tui.widgets.fields import Field

#: the choice that shows every contact again
ALL = ""


def segment_choices(db: Any) -> list[tuple[str, str, str]]:
    from tinycrm.services.marketing import segments

    choices = [("All contacts", "no segment", ALL)]
    for s in segments.list_segments(db):
        people = f"{s.members:,} member{'s' if s.members != 1 else ''}"
        choices.append((s.name, f"{people} · {s.query}", s.name))
    return choices


def pick_segment(screen: Any) -> None:
    """The segment picker over the contact list; the list then shows the one picked (or everyone)."""
    from tinycrm.tui.screens.picker import Picker

    def picked(name: str | None) -> None:
        if name is not None:
            screen.apply_segment(name or None)

    screen.app.push_screen(
        Picker(
            "Saved segments",
            segment_choices,
            current=screen.request.segment or ALL,
            hint="enter shows its members · esc cancels",
            empty="no segment matches; V saves the current list as one",
        ),
        picked,
    )


def save_view(screen: Any) -> None:
    """Ask a name for the list's search and filters, save them as a segment and show it."""
    from tinycrm.services.marketing import segments

    request = screen.request
    query = segments.query_from(request.query, tag=request.tag, company=request.company)
    if request.segment:
        base = screen.segment_query or ""
        query = f"{base} {query}".strip()

    def saved(segment: Any) -> None:
        if segment is not None:
            screen.notify(f"Saved segment {segment.name}: {segment.members:,} members", timeout=4)
            screen.apply_segment(segment.name, clear=True)

    screen.app.push_screen(SegmentForm(query), saved)


class SegmentForm(TopForm):
    """A name and a query (the list's, to change at will). Dismisses with the ``SegmentRead``."""

    TITLE_TEXT = "Save as segment"

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query_text = query

    def subtitle(self) -> str:
        return "Whom the query finds, worked out each time it is used"

    def fields(self) -> list[Field]:
        return [
            Field(
                "Name", Input(placeholder="newsletter, vip-clients…", id="name"), keys=("name",), id="f-name"
            ),
            Field(
                "Query",
                Input(self.query_text, placeholder="tag:client has:email -tag:former", id="query"),
                keys=("query", "segment query"),
                hint="[dim]tag: company: has:email consent:opted-in created:>30d last-contact:<90d deal:won[/dim]",
                id="f-query",
            ),
        ]

    def values(self) -> dict[str, Any]:
        return {"name": self.text("name"), "query": self.text("query")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.marketing import segments

        return self.service(segments.add, values["name"], values["query"])


def segment_status(name: str | None) -> str:
    """The status line's note of the segment shown."""
    return f"segment [b]{escape(name)}[/b] (v: another)" if name else ""
