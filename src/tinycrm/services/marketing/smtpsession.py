"""One SMTP connection kept open for a whole campaign (a connection, a greeting and a login per message would
make the client the limit instead of the server), with the errors of :mod:`tinycrm.services.mail.mailer`:
:class:`MailUnavailable` (try again later, exit 75) and :class:`MailFailed` (refused for good)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from tinycrm.config import Smtp
from tinycrm.services.mail import mailer
from tinycrm.services.mail.mailer import MailFailed


def _no_delay(client: Any) -> None:
    """Each SMTP command waits for its reply: Nagle's algorithm would hold the next small write back."""
    import socket

    try:
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (AttributeError, OSError):
        pass


class Session:
    def __init__(self, settings: Smtp) -> None:
        self.settings = settings
        self.client: Any = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except Exception:  # noqa: BLE001 - closing a connection that may be gone
                pass
            self.client = None

    def _open(self) -> Any:
        client = mailer.open_smtp(self.settings)
        _no_delay(client)
        return client

    def send(self, message: EmailMessage, to: str) -> None:
        """Hand ``message`` to the server for ``to`` alone; returns once the server accepted it."""
        if self.settings.program:
            mailer.send(message, self.settings)
            return
        import smtplib

        where = f"{self.settings.host}:{self.settings.port or 25}"
        try:
            if self.client is None:
                self.client = self._open()
            self.client.send_message(message, to_addrs=[to])
        except smtplib.SMTPAuthenticationError as exc:
            self.client = None
            raise MailFailed(
                f"the mail server {where} refused the login: {mailer._text(exc.smtp_error)}"
            ) from None  # noqa: SLF001
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            address, (code, text) = next(iter(exc.recipients.items()))
            raise mailer._reply_error(f"the mail server {where} refused {address}", code, text) from None  # noqa: SLF001
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise mailer._reply_error(
                f"the mail server {where} said", exc.smtp_code, exc.smtp_error
            ) from None  # noqa: SLF001
        except (smtplib.SMTPException, OSError) as exc:
            self.client = None
            raise mailer.failure(exc, self.settings) from None

    def _reset(self) -> None:
        """After a refused message the connection goes on: RSET, or a new connection next time."""
        try:
            self.client.rset()
        except Exception:  # noqa: BLE001
            self.client = None
