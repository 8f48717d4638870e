"""A real SMTP server process for tests that send mail (aiosmtpd on 127.0.0.1), and the config that points
``[smtp]`` and ``[support]`` at it."""

from __future__ import annotations

import email
import email.policy
import socket
import textwrap
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the server accepted: (envelope sender, recipients, parsed message, raw bytes)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's hook
        if self.refuse:
            return "451 try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    """An SMTP server on a free port: ``(inbox, port)``."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def support_config(home: Path, port: int | None, extra: str = "") -> None:
    """``[support]`` with the address help@example.com, business hours in Berlin, ``[smtp]`` on ``port``
    (None: a port nothing listens on)."""
    smtp_port = port if port is not None else free_port()
    (home / "config.toml").write_text(
        textwrap.dedent(
            f"""
            [smtp]
            host = "127.0.0.1"
            port = {smtp_port}
            timeout = 5

            [support]
            address = ["help@example.com", "support@example.com"]
            name = "Example Help"
            hours = "mon-fri 09:00-17:00"
            timezone = "Europe/Berlin"
            holidays = ["2026-12-25"]
            kb_url = "https://help.example.com/kb"
            """
        )
        + textwrap.dedent(extra)
    )
    from tinycrm import config

    config.reset()
