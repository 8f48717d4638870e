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
    # ca_file = "~/.config/tinycrm/ca.pem"   # a private CA to trust instead of the system's
    # sendmail = true                        # or a path: hand the message to the local sendmail instead

The settings are :class:`tinycrm.config.Smtp`, checked when the config file is read; :func:`check_ready`
checks what they need from outside the file. The password never comes from the command line or the config
file. Failures that may pass (server down, 4xx replies) raise :class:`MailUnavailable` (exit 75, cron tries
again later); others :class:`MailFailed`.

TLS (``ssl``, ``starttls``, and IMAP in :mod:`tinycrm.services.mail.fetch`) always checks the server's
certificate and its name, against the system's authorities or ``ca_file``; :func:`tls_context` makes the one
context both use. A certificate that cannot be verified raises :class:`MailUntrusted`: nothing is sent.
Only ``tls_verify = false`` turns the check off, and then a warning is logged on every connection.
"""

from __future__ import annotations

import logging
import os
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from tinycrm.config import Smtp
from tinycrm.domain.errors import EXIT_FAILED, EXIT_TEMPFAIL, CrmError, InvalidInput

if TYPE_CHECKING:
    import smtplib
    import ssl

log = logging.getLogger("tinycrm.mail")


class MailUnavailable(CrmError):
    """The mail server cannot be reached or asked to try again later."""

    exit_code = EXIT_TEMPFAIL


class MailFailed(CrmError):
    """The mail server refused the message (or the login) for good."""

    exit_code = EXIT_FAILED


class MailUntrusted(MailUnavailable):
    """The server's certificate cannot be verified (an authority not trusted, a name it is not for, expired).
    Nothing was sent or read. Exit 75 like a server that cannot be reached: what waits to be sent stays
    queued, and the next run goes on once the certificate or ``ca_file`` is right."""


def tls_context(*, ca_file: str | None, verify: bool, section: str, host: str | None) -> ssl.SSLContext:
    """The TLS context of a connection to ``host``: the certificate and its name checked against the system's
    authorities, or only those of ``ca_file``. ``verify=False`` (``tls_verify = false``) checks nothing and
    logs a warning. A ``ca_file`` that cannot be read: :class:`InvalidInput` (exit 2)."""
    import ssl

    if not verify:
        log.warning(
            "warning: %s tls_verify = false: the certificate of %s is not checked; anyone between here and "
            "the server can read and change the mail and the password. Set ca_file instead",
            section,
            host,
        )
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_file is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=ca_file)
    except FileNotFoundError:
        raise InvalidInput(
            f"{section} ca_file: {ca_file}: no such file; give the PEM file of the authority that signed the "
            "server's certificate"
        ) from None
    except (ssl.SSLError, OSError) as exc:
        raise InvalidInput(
            f"{section} ca_file: {ca_file} cannot be read as PEM certificates ({_first_line(exc)}); give the "
            "PEM file of the authority that signed the server's certificate"
        ) from None


def smtp_tls(settings: Smtp) -> ssl.SSLContext:
    """:func:`tls_context` for the ``[smtp]`` settings."""
    return tls_context(
        ca_file=settings.ca_file, verify=settings.tls_verify, section="[smtp]", host=settings.host
    )


def untrusted(exc: BaseException, where: str, section: str) -> MailUntrusted | None:
    """The one-line error for a certificate that failed verification, or None for any other error."""
    import ssl

    if not isinstance(exc, ssl.SSLCertVerificationError):
        return None
    reason = " ".join(str(exc.verify_message or exc).split()).rstrip(".")
    if exc.verify_code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
        return MailUntrusted(
            f"the certificate of {where} is for another name ({reason}); set {section} host to the name the "
            "certificate is for"
        )
    return MailUntrusted(
        f"the certificate of {where} cannot be verified ({reason}); nothing was sent or read. Set {section} "
        "ca_file to the PEM file of the authority that signed it, or fix the server's certificate"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
    if (settings.ssl or settings.starttls) and settings.ca_file and settings.tls_verify:
        smtp_tls(settings)  # a ca_file that cannot be read is found before anything is sent


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


def open_smtp(settings: Smtp) -> smtplib.SMTP:
    """A connection to the ``[smtp]`` server, TLS set up (``ssl`` or ``starttls``) and logged in. Raises the
    errors of :mod:`smtplib`, :class:`OSError`, or :class:`InvalidInput` for a ``ca_file`` that cannot be
    read; :func:`failure` turns the first two into one line."""
    import smtplib

    password = _password(settings)
    port = settings.port or 25  # always set once the settings are checked
    context = smtp_tls(settings) if settings.ssl or settings.starttls else None
    if settings.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
    try:
        if settings.starttls:
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, password or "")
    except BaseException:
        client.close()
        raise
    return client


def failure(exc: Exception, settings: Smtp) -> CrmError:
    """The one-line error for what :func:`open_smtp` or a send raised (an :mod:`smtplib` error, an OSError)."""
    import smtplib

    where = f"{settings.host}:{settings.port or 25}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailFailed(
            f"the mail server {where} refused the login of {settings.user}: {_text(exc.smtp_error)}"
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        address, (code, text) = next(iter(exc.recipients.items()))
        return _reply_error(f"the mail server {where} refused {address}", code, text)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_error(f"the mail server {where} said", exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailFailed(f"the mail server {where}: {exc}")
    return untrusted(exc, where, "[smtp]") or MailUnavailable(
        f"cannot send mail through {where}: {_first_line(exc)}; try again later"
    )


def _smtp(message: EmailMessage, settings: Smtp) -> None:
    import smtplib

    try:
        with open_smtp(settings) as client:
            refused = client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise failure(exc, settings) from None
    if refused:
        address, (code, text) = next(iter(refused.items()))
        raise _reply_error(
            f"the mail server {settings.host}:{settings.port or 25} refused {address}", code, text
        )


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
