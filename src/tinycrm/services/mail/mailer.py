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

The password never comes from the command line or the config file. Failures that may pass (server down,
4xx replies) raise :class:`MailUnavailable` (exit 75, cron tries again later); others :class:`MailFailed`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from tinycrm.domain.errors import EXIT_FAILED, EXIT_TEMPFAIL, CrmError, InvalidInput

DEFAULT_SENDMAIL = "/usr/sbin/sendmail"
KEYS = {"host", "port", "starttls", "ssl", "user", "password_env", "from", "sendmail", "timeout"}


class MailUnavailable(CrmError):
    """The mail server cannot be reached or asked to try again later."""

    exit_code = EXIT_TEMPFAIL


class MailFailed(CrmError):
    """The mail server refused the message (or the login) for good."""

    exit_code = EXIT_FAILED


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    user: str | None = None
    password_env: str | None = None
    sender: str | None = None
    #: the sendmail program to use instead of SMTP, or ``None``
    sendmail: str | None = None
    timeout: float = 30.0


def _bool(section: dict[str, Any], key: str) -> bool:
    value = section.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"smtp: {key} must be true or false in the config file (got {value!r})")
    return value


def settings_from(section: dict[str, Any] | None) -> SmtpSettings:
    """Settings from the config file's ``[smtp]`` table (none: SMTP on localhost:25)."""
    section = dict(section or {})
    if "password" in section:
        raise InvalidInput(
            "smtp: do not put the password in the config file; set password_env to the name of an "
            "environment variable that holds it"
        )
    unknown = set(section) - KEYS
    if unknown:
        raise InvalidInput(f"smtp: unknown setting {sorted(unknown)[0]!r}; known: {', '.join(sorted(KEYS))}")
    starttls, ssl = _bool(section, "starttls"), _bool(section, "ssl")
    if starttls and ssl:
        raise InvalidInput("smtp: choose starttls (usually port 587) or ssl (usually port 465), not both")
    port = section.get("port", 465 if ssl else 587 if starttls else 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise InvalidInput(f"smtp: port must be a number between 1 and 65535 (got {port!r})")
    sendmail = section.get("sendmail")
    if sendmail is True:
        sendmail = DEFAULT_SENDMAIL
    elif sendmail in (False, None, ""):
        sendmail = None
    elif not isinstance(sendmail, str):
        raise InvalidInput(
            f"smtp: sendmail must be true, false or the path of a sendmail program (got {sendmail!r})"
        )
    timeout = section.get("timeout", 30)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise InvalidInput(f"smtp: timeout must be a positive number of seconds (got {timeout!r})")
    sender = section.get("from")
    if sender is not None and (not isinstance(sender, str) or not sender.strip()):
        raise InvalidInput('smtp: from must be an e-mail address such as "tinycrm <crm@example.com>"')
    for key in ("host", "user", "password_env"):
        if section.get(key) is not None and not isinstance(section[key], str):
            raise InvalidInput(f"smtp: {key} must be text (got {section[key]!r})")
    return SmtpSettings(
        host=section.get("host") or "localhost",
        port=port,
        starttls=starttls,
        ssl=ssl,
        user=section.get("user"),
        password_env=section.get("password_env"),
        sender=sender,
        sendmail=sendmail,
        timeout=float(timeout),
    )


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


def _password(settings: SmtpSettings) -> str | None:
    if not settings.user:
        return None
    if not settings.password_env:
        raise InvalidInput(
            "smtp: user is set but password_env is not; name the environment variable holding the password"
        )
    value = os.environ.get(settings.password_env)
    if value is None:
        raise InvalidInput(
            f"smtp: the environment variable {settings.password_env} (password_env) is not set"
        )
    return value


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Deliver ``message``; raise :class:`MailUnavailable` / :class:`MailFailed` with one line on failure."""
    if settings.sendmail:
        _sendmail(message, settings)
    else:
        _smtp(message, settings)


def _smtp(message: EmailMessage, settings: SmtpSettings) -> None:
    import smtplib
    import ssl

    password = _password(settings)
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
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


def _sendmail(message: EmailMessage, settings: SmtpSettings) -> None:
    import subprocess

    program = settings.sendmail
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
