"""Sending one e-mail with the standard library: SMTP (optionally STARTTLS or TLS, optionally with a login)
or the local ``sendmail``, as the ``[smtp]`` section of the config file says.

::

    [smtp]
    host = "mail.example.com"
    port = 587
    starttls = true
    user = "ada"
    password_env = "TINYCRM_SMTP_PASSWORD"   # the password is read from this environment variable
    from = "tinycrm <crm@example.com>"
    # sendmail = true                        # or a path: hand the message to the local sendmail instead

The settings are :class:`tinycrm.config.Smtp`, checked when the config file is read; :func:`check_ready`
checks what they need from outside the file. The password never comes from the command line or the config
file. Failures that may pass (server down, 4xx replies) raise :class:`MailUnavailable` (exit 75, cron tries
again later); others :class:`MailFailed`.
"""

from __future__ import annotations

import os
from email.message import EmailMessage
from typing import Any

from tinycrm.config import Smtp
from tinycrm.domain.errors import EXIT_FAILED, EXIT_TEMPFAIL, CrmError, InvalidInput


class MailUnavailable(CrmError):
    """The mail server cannot be reached or asked to try again later."""

    exit_code = EXIT_TEMPFAIL


class MailFailed(CrmError):
    """The mail server refused the message (or the login) for good."""

    exit_code = EXIT_FAILED


def check_ready(settings: Smtp) -> None:
    """What the ``[smtp]`` settings need from outside the file, checked before anything is sent: the
    password's environment variable, the sendmail program. :class:`InvalidInput` (exit 2) when missing."""
    if settings.program:
        import shutil

        if shutil.which(settings.program) is None:
            raise InvalidInput(
                f"[smtp] sendmail: {settings.program} is not a program that can be run; install a mail "
                "transfer agent, give the path of one, or remove sendmail to use [smtp] host"
            )
        return
    _password(settings)


def default_sender() -> str:
    import getpass
    import socket

    try:
        login = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        login = "tinycrm"
    return f"tinycrm <{login}@{socket.getfqdn() or 'localhost'}>"


def build_message(*, sender: str | None, to: str, subject: str, body: str) -> EmailMessage:
    from email.utils import formatdate, make_msgid

    message = EmailMessage()
    message["From"] = sender or default_sender()
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="tinycrm")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def _password(settings: Smtp) -> str | None:
    if not settings.user or not settings.password_env:
        return None
    value = os.environ.get(settings.password_env)
    if value is None:
        raise InvalidInput(
            f"[smtp] password_env: the environment variable {settings.password_env} is not set; "
            "set it to the password of the mail account"
        )
    return value


def send(message: EmailMessage, settings: Smtp) -> None:
    """Deliver ``message``; raise :class:`MailUnavailable` / :class:`MailFailed` with one line on failure."""
    if settings.program:
        _sendmail(message, settings)
    else:
        _smtp(message, settings)


def _smtp(message: EmailMessage, settings: Smtp) -> None:
    import smtplib
    import ssl

    password = _password(settings)
    port = settings.port or 25  # always set once the settings are checked
    where = f"{settings.host}:{port}"
    try:
        if settings.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
        with client:
            if settings.starttls:
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, password or "")
            refused = client.send_message(message)
        if refused:
            address, (code, text) = next(iter(refused.items()))
            raise _reply_error(f"the mail server refused {address}", code, text)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailFailed(
            f"the mail server {where} refused the login of {settings.user}: {_text(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        address, (code, text) = next(iter(exc.recipients.items()))
        raise _reply_error(f"the mail server {where} refused {address}", code, text) from None
    except smtplib.SMTPResponseException as exc:
        raise _reply_error(f"the mail server {where} said", exc.smtp_code, exc.smtp_error) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailFailed(f"the mail server {where}: {exc}") from None
    except (smtplib.SMTPException, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MailUnavailable(f"cannot send mail through {where}: {reason}; try again later") from None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())


def _reply_error(what: str, code: int, text: Any) -> CrmError:
    message = f"{what}: {code} {_text(text)}"
    if 400 <= code < 500:
        return MailUnavailable(message + "; try again later")
    return MailFailed(message)


def _sendmail(message: EmailMessage, settings: Smtp) -> None:
    import subprocess

    program = settings.program
    assert program
    try:
        result = subprocess.run(
            [program, "-t", "-oi"],
            input=message.as_bytes(),
            capture_output=True,
            timeout=settings.timeout * 4,
        )
    except FileNotFoundError:
        raise MailFailed(
            f"cannot run {program}: no such program; install a mail transfer agent or use [smtp] host"
        ) from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MailUnavailable(f"cannot run {program}: {exc}") from None
    if result.returncode != 0:
        said = " ".join(result.stderr.decode("utf-8", "replace").split())[:300]
        error = MailUnavailable if result.returncode == EXIT_TEMPFAIL else MailFailed
        raise error(f"{program} failed with exit code {result.returncode}" + (f": {said}" if said else ""))
