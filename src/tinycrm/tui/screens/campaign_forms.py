"""Campaign forms and the sending behind the Campaigns screen.

A campaign is made from a segment and a Markdown template (``n``), tried on yourself (``t``) and sent (``s``)
through the very service ``crm campaign send`` uses (:func:`tinycrm.services.marketing.sending.send`): each
recipient once, its state committed as it goes. The send runs in an app-wide worker, so it goes on while you
look elsewhere; one campaign is never sent by two runs of the app at once (:class:`Sends`), and the service
itself never mails a recipient twice. ``p`` pauses it between two recipients; ``s`` again goes on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from textual.widgets import Checkbox, Input, Select, TextArea

from tinycrm.domain.errors import CrmError
from tinycrm.tui.format import escape
from tinycrm.tui.screens.forms import FormScreen
from tinycrm.tui.widgets.fields import Field

TEMPLATE = """Hello {{ contact.given_name|default("there") }},

Write your news here, in **Markdown**.

Best regards
"""


class TopForm(FormScreen):
    """A form that opens at its top (every form does now: see :class:`FormScreen`)."""


class CampaignForm(TopForm):
    """Name, segment, subject, template (Markdown with merge fields). Dismisses with the ``CampaignRead``."""

    TITLE_TEXT = "New campaign"
    SAVE_LABEL = "Add"
    DEFAULT_CSS = """
    CampaignForm #template { height: 8; }
    """

    def __init__(self, segments: list[str]) -> None:
        super().__init__()
        self.segments = segments

    def subtitle(self) -> str:
        return "Merge fields are checked now, before anything is sent"

    def fields(self) -> list[Field]:
        options = [(s, s) for s in self.segments]
        return [
            Field(
                "Name",
                Input(placeholder="march-news", id="name"),
                keys=("name", "campaign name"),
                id="f-name",
            ),
            Field(
                "Segment",
                Select(options, prompt="Pick a segment", id="segment"),
                keys=("segment", "--segment"),
                hint="" if options else "[dim]no segment yet: save one from the contact list (V)[/dim]",
                id="f-segment",
            ),
            Field(
                "Subject",
                Input(placeholder="News for {{ contact.display_name }}", id="subject"),
                keys=("subject", "--subject"),
                id="f-subject",
            ),
            Field(
                "Template",
                TextArea(TEMPLATE, id="template", soft_wrap=True),
                keys=("template", "--template"),
                hint="[dim]Markdown; {{ contact.given_name }}, {{ contact.company }}, {{ contact.fields.KEY }}[/dim]",
                id="f-template",
            ),
            Field(
                "From",
                Input(placeholder="default: [smtp] from", id="sender"),
                keys=("--from",),
                id="f-sender",
            ),
            Field(
                "Consent",
                Checkbox("Also addresses whose consent is unknown", id="allow-unknown"),
                keys=("allow_unknown",),
                id="f-allow-unknown",
            ),
        ]

    def values(self) -> dict[str, Any]:
        return {
            "name": self.text("name"),
            "segment": self.text("segment"),
            "subject": self.text("subject"),
            "template": self.text("template"),
            "sender": self.text("sender") or None,
            "allow_unknown": self.query_one("#allow-unknown", Checkbox).value,
        }

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.domain.errors import InvalidInput
        from tinycrm.services.marketing import campaigns

        if not values["segment"]:
            raise InvalidInput("pick the segment that gets the campaign", field="segment")
        return self.service(
            campaigns.add,
            values["name"],
            segment=values["segment"],
            subject=values["subject"],
            template=values["template"],
            sender=values["sender"],
            allow_unknown=values["allow_unknown"],
        )


class SendTestForm(TopForm):
    """Send one copy of a campaign to an address (yours). Dismisses with the address."""

    TITLE_TEXT = "Send a test"
    SAVE_LABEL = "Send"

    def __init__(self, campaign: str) -> None:
        super().__init__()
        self.campaign = campaign

    def subtitle(self) -> str:
        return f"{escape(self.campaign)}, rendered for the segment's first member; nothing is recorded"

    def fields(self) -> list[Field]:
        return [Field("To", Input(placeholder="you@example.com", id="to"), keys=("--to", "to"), id="f-to")]

    def values(self) -> dict[str, Any]:
        return {"to": self.text("to")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.marketing import campaigns

        return self.service(campaigns.send_test, self.campaign, values["to"])


# --- sending ------------------------------------------------------------------------------------------------


@dataclass
class SendJob:
    """One campaign being sent by this app: how far it got, and how to pause it."""

    name: str
    done: int = 0
    total: int = 0
    running: bool = True
    pause: threading.Event = field(default_factory=threading.Event)
    report: Any = None
    error: str | None = None

    def wants_stop(self) -> bool:
        from textual.worker import get_current_worker

        try:
            cancelled = get_current_worker().is_cancelled  # the app is closing
        except Exception:  # noqa: BLE001 - not in a worker
            cancelled = False
        return self.pause.is_set() or cancelled


class Sends:
    """The campaigns this app is sending, by name (``app.campaign_sends``)."""

    def __init__(self) -> None:
        self.jobs: dict[str, SendJob] = {}

    @classmethod
    def of(cls, app: Any) -> Sends:
        sends = getattr(app, "campaign_sends", None)
        if sends is None:
            sends = cls()
            app.campaign_sends = sends
        return sends

    def running(self, name: str) -> SendJob | None:
        job = self.jobs.get(name.casefold())
        return job if job is not None and job.running else None

    def start(self, app: Any, name: str) -> SendJob | None:
        """Send ``name`` in an app-wide worker; None when this app sends it already."""
        if self.running(name) is not None:
            return None
        job = self.jobs[name.casefold()] = SendJob(name)
        app.run_worker(lambda: _run(app, job), thread=True, group="campaign-send", name=f"send {name}")
        return job


def _run(app: Any, job: SendJob) -> None:
    from tinycrm.services.marketing import sending
    from tinycrm.store import pool

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total

    try:
        job.report = pool.call(app.db, sending.send, job.name, progress=progress, stop=job.wants_stop)
    except CrmError as exc:
        job.error = exc.message
    finally:
        job.running = False
    try:
        app.call_from_thread(_finished, app, job)
    except Exception:  # noqa: BLE001 - the app closed meanwhile: the state is in the database
        pass


def _finished(app: Any, job: SendJob) -> None:
    r = job.report
    if job.error is not None:
        app.notify(job.error, title=f"Campaign {job.name}", severity="error", timeout=10)
    elif r is not None and r.frozen == 0:
        app.notify(f"{job.name}: no recipients (nobody in the segment consents); nothing sent", timeout=6)
    elif r is not None:
        text = f"{job.name}: sent {r.sent}, failed {r.failed}, left {r.left} of {r.frozen}"
        if r.paused:
            text += " · paused: s goes on"
        if r.stopped:
            app.notify(f"{text}. {r.stopped}; s tries again", severity="warning", timeout=10)
        else:
            app.notify(text, timeout=6)
    refresh = getattr(app.screen, "action_refresh", None)
    if refresh is not None:
        refresh()
