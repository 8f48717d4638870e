"""A real SMTP server (aiosmtpd) that records every message, for the campaign tests: refusals can be set per
address (a 5xx for good, a 4xx for later)."""

from __future__ import annotations

import email
import email.policy
import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list = []
        self.refuse: dict[str, str] = {}
        self.delay = delay

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, N802
        reply = self.refuse.get(address.casefold())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's hook
        if self.delay:
            time.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for _, rcpts, m in self.messages if address in rcpts]


class Server:
    def __init__(self, delay: float = 0.0) -> None:
        from aiosmtpd.controller import Controller

        self.box = Mailbox(delay)
        self.port = free_port()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
