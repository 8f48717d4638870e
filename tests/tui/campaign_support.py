"""Fixtures of the Campaigns screen's tests: a real SMTP server (aiosmtpd) whose messages can be held at the
server, ``[smtp]`` and ``[marketing]`` pointed at it, and a segment with a draft campaign on the sample data."""

from __future__ import annotations

import asyncio
import textwrap
import threading

import pytest

from mail_testkit import Inbox, free_port
from tinycrm import config


class GatedInbox(Inbox):
    """Holds each message until ``gate`` is open: a send is caught in the middle."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's hook
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 10)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox(_isolated_home):
    from aiosmtpd.controller import Controller

    box = GatedInbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    (_isolated_home / "config.toml").write_text(
        textwrap.dedent(
            f"""\
            [smtp]
            host = "127.0.0.1"
            port = {port}
            from = "Acme News <news@acme.example>"
            [marketing]
            unsubscribe_address = "leave@acme.example"
            """
        )
    )
    config.reset()
    try:
        yield box
    finally:
        box.gate.set()
        controller.stop()


@pytest.fixture
def shop(db, ids, inbox):
    """Segment ``clients`` (Ada, Margaret: opted in) and the draft campaign ``news`` to it."""
    from tinycrm.services.marketing import campaigns, consent, segments

    for who in ("ada", "margaret"):
        consent.set_for_contact(db, ids[who], "opted-in", "asked in person")
    segments.add(db, "clients", "tag:client")
    campaigns.add(
        db, "news", segment="clients", subject="News for {{ contact.display_name }}", template="Hi!"
    )
    return db
