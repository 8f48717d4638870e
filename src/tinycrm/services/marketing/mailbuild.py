"""A campaign mail for one recipient: merge fields, the two MIME parts, the list headers.

The template is Markdown with Jinja2 merge fields, rendered in the sandbox of
:mod:`tinycrm.services.mail.templating`. A field the template names that tinycrm does not know is an error when
the campaign is added or previewed (checked against every known field); a known field that a contact leaves
empty is blank for that contact, so ``{{ contact.given_name|default("there") }}`` says "there".

The mail is ``multipart/alternative``: the rendered Markdown as plain text, and HTML made from it (raw HTML in
the template is shown as text, images are replaced by their description: no remote image, no tracking pixel),
with a small inline style and a visible line saying how to unsubscribe. ``List-Unsubscribe`` names a
``mailto:`` with the recipient's token after ``+`` in the local part (and in the subject), and an HTTPS
one-click address when ``[marketing] base_url`` is set (then ``List-Unsubscribe-Post`` too, RFC 8058).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.services.mail.templating import render

#: the fields of ``contact`` a template may name
CONTACT_FIELDS = (
    "id",
    "display_name",
    "given_name",
    "family_name",
    "job_title",
    "company",
    "company_role",
    "email",
    "phone",
    "birthday",
    "tags",
    "fields",
)

_STYLE = "font-family: Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #222; max-width: 40em"
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r'alt="([^"]*)"')


def _blank(name: str) -> Any:
    from jinja2 import Undefined

    return Undefined(name=name)  # prints as nothing; |default(...) replaces it


def context(contact: Any, field_keys: Iterable[str]) -> dict[str, Any]:
    """The merge fields of one contact (a :class:`tinycrm.domain.people.ContactRead`, or None for the check
    against every known field). ``field_keys``: every custom field name in use (one a contact lacks is blank)."""
    if contact is None:
        values: dict[str, Any] = {k: "x" for k in CONTACT_FIELDS}
        values["tags"] = ["x"]
        values["fields"] = {k: "x" for k in field_keys}
        return {"contact": values}
    own = dict(contact.fields)
    values = {
        "id": contact.id,
        "display_name": contact.display_name,
        "given_name": contact.given_name,
        "family_name": contact.family_name,
        "job_title": contact.job_title,
        "company": contact.company.name if contact.company else None,
        "company_role": contact.company_role,
        "email": contact.emails[0].value if contact.emails else None,
        "phone": contact.phones[0].value if contact.phones else None,
        "birthday": contact.birthday,
        "tags": list(contact.tags),
        "fields": {k: own.get(k) or _blank(f"contact.fields.{k}") for k in {*field_keys, *own}},
    }
    return {"contact": {k: _blank(f"contact.{k}") if v in (None, "") else v for k, v in values.items()}}


def check(subject: str, template: str, field_keys: Iterable[str]) -> None:
    """Refuse a subject or template that names an unknown field or breaks the sandbox (``InvalidInput``)."""
    sample = context(None, field_keys)
    render(subject, sample, name="the subject")
    render(template, sample, name="the template")


def token(campaign_uid: str, recipient_id: int) -> str:
    """The recipient's unsubscribe token: their id and a signature only this database can make."""
    mac = hmac.new(campaign_uid.encode(), f"r{recipient_id}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"r{recipient_id}.{mac}"


def check_token(campaign_uid: str, text: str) -> bool:
    match = re.fullmatch(r"r(\d+)\.[0-9a-f]{16}", text)
    return bool(match) and hmac.compare_digest(token(campaign_uid, int(match.group(1))), text)  # type: ignore[union-attr]


def message_id(campaign_id: int, recipient_id: int, campaign_uid: str, domain: str) -> str:
    """The recipient's Message-ID (without ``<>``): the same on every try, so a resent copy is the same mail."""
    return f"c{campaign_id}.{token(campaign_uid, recipient_id)}@{domain}"


def unsubscribe_mailto(unsubscribe_address: str, tok: str) -> str:
    from email.utils import parseaddr

    local, _, domain = parseaddr(unsubscribe_address)[1].partition("@")
    return f"{local}+{tok}@{domain}"


@dataclass(frozen=True)
class Envelope:
    sender: str
    to_name: str
    to_address: str
    reply_to: str | None
    message_id: str
    token: str
    unsubscribe_address: str
    base_url: str | None


def one_line(text: str) -> str:
    """Header text on one line: CR, LF and other controls never reach a header."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _header(text: str) -> str:
    from email.header import Header

    return text if text.isascii() else Header(text, "utf-8").encode()


def build(subject: str, body_markdown: str, env: Envelope) -> Any:
    """The mail for one recipient from its rendered subject and Markdown. Built with the standard library's
    plain MIME classes (about five times faster than ``EmailMessage``, which parses every header it is given):
    every header value here is on one line, by :func:`one_line` or by the checks of the campaign's addresses."""
    from email import charset
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.policy import compat32
    from email.utils import formataddr, formatdate

    utf8 = charset.Charset("utf-8")
    utf8.body_encoding = charset.QP
    mailto = unsubscribe_mailto(env.unsubscribe_address, env.token)
    opt_out = f"You get this mail because you agreed to hear from us. To stop: write to {mailto}"
    links = [f"<mailto:{mailto}?subject=unsubscribe%20{env.token}>"]
    if env.base_url:
        links.insert(0, f"<{env.base_url}/unsubscribe/{env.token}>")
    # headers are never folded: List-Unsubscribe stays one plain line of <URI>s
    message = MIMEMultipart("alternative", policy=compat32.clone(max_line_length=None))
    message["From"] = _header(one_line(env.sender)) if "<" not in env.sender else one_line(env.sender)
    message["To"] = formataddr((one_line(env.to_name), one_line(env.to_address)))
    message["Subject"] = _header(one_line(subject))
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = f"<{one_line(env.message_id)}>"
    if env.reply_to:
        message["Reply-To"] = one_line(env.reply_to)
    message["List-Unsubscribe"] = ", ".join(links)
    if env.base_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Precedence"] = "bulk"
    text = body_markdown.rstrip("\n") + "\n\n-- \n" + opt_out + "\n"
    message.attach(MIMEText(text, "plain", utf8))  # type: ignore[arg-type]  # a Charset is what it takes
    html = _IMG.sub(_alt_text, _markdown(body_markdown))
    footer = (
        '<p style="color: #666; font-size: 12px; border-top: 1px solid #ddd; padding-top: 8px">'
        "You get this mail because you agreed to hear from us. "
        f'<a href="mailto:{mailto}?subject=unsubscribe%20{env.token}">Unsubscribe</a></p>'
    )
    page = f'<!DOCTYPE html>\n<html><body><div style="{_STYLE}">\n{html}{footer}\n</div></body></html>\n'
    message.attach(MIMEText(page, "html", utf8))  # type: ignore[arg-type]
    return message


@cache
def _parser() -> Any:
    """The Markdown parser of :func:`tinycrm.services.mail.templating.markdown_html` (same options), made
    once per run instead of once per message."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _markdown(text: str) -> str:
    return str(_parser().render(text))


@lru_cache(maxsize=16)
def _compiled(source: str) -> Any:
    from tinycrm.services.mail.templating import _environment

    return _environment().from_string(source)


def _render(source: str, variables: Mapping[str, Any], name: str) -> str:
    """:func:`render`, with the template compiled once for all recipients; any problem goes through
    :func:`render` itself for its one-line error."""
    try:
        return str(_compiled(source).render(**variables))
    except Exception:  # noqa: BLE001 - render() says what is wrong, in its words
        return render(source, variables, name=name)


def _alt_text(match: re.Match[str]) -> str:
    """An image becomes its description: no remote image is ever loaded (no tracking pixel)."""
    alt = _ALT.search(match.group(0))
    return alt.group(1) if alt else ""


def render_mail(subject: str, template: str, variables: Mapping[str, Any]) -> tuple[str, str]:
    """The subject and Markdown body for one recipient; :class:`InvalidInput` for a template problem."""
    rendered_subject = one_line(_render(subject, variables, "the subject"))
    if not rendered_subject:
        raise InvalidInput("the subject is empty for this recipient")
    return rendered_subject, _render(template, variables, "the template")
