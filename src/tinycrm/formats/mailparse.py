"""RFC 5322 bytes into an :class:`~tinycrm.domain.mail.InboundMessage`, with the standard library's ``email``
package (``policy.default``).

Tolerant like a mail client: encoded-word headers are decoded, quoted-printable and base64 bodies too; a body in
a charset Python does not know, or mislabelled, is read as UTF-8, then windows-1252 (what "iso-8859-1" mail
really is); ``multipart/alternative`` gives its text/plain part, an HTML-only message is turned into text; a
delivery status notification (RFC 3464) is read per recipient. A broken structure (a multipart without its
boundary, a header that does not parse) is read as far as it goes and noted in ``defects``. Only bytes that are
no mail message at all (empty, no header) raise :class:`MailParseError`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesParser
from functools import lru_cache
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.mail import Attachment, InboundMessage

#: longest subject kept (the RFC 5322 line limit); a longer one is cut with "..."
MAX_SUBJECT = 998
#: longest Message-ID kept as it is; a longer one is replaced by a hash of it
MAX_MESSAGE_ID = 900
#: headers a delivery adds (left out of the hash that stands in for a missing Message-ID)
TRACE_HEADERS = frozenset(
    {"received", "return-path", "delivered-to", "x-original-to", "status", "x-status", "x-uid", "x-keywords"}
)
_ID = re.compile(r"<([^<>\s]+)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _CachedHeaders(HeaderRegistry):
    """``policy.default``'s header registry, remembering the headers it parsed: under that policy every read
    of a header parses it again, and the parser itself reads Content-Type several times per part. Header
    objects are immutable, so one can be shared by every message that has the same header line."""

    @lru_cache(maxsize=4096)  # noqa: B019 - one registry for the process, never freed anyway
    def __call__(self, name: str, value: str) -> Any:
        return super().__call__(name, value)


#: ``policy.default`` (RFC 5322, Unicode headers), with the parsed headers remembered
POLICY = policy.default.clone(header_factory=_CachedHeaders())


class MailParseError(InvalidInput):
    """Bytes that are not a mail message (empty, or no header at all)."""


def parse(raw: bytes, *, max_attachment_bytes: int = 10 * 1024 * 1024) -> InboundMessage:
    """Read one message. Never raises for a damaged message, only for bytes that are none."""
    raw = _without_mbox_line(raw)
    if not raw.strip():
        raise MailParseError("empty message")
    try:
        msg = BytesParser(policy=POLICY).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; this is the last resort
        raise MailParseError(f"not a mail message: {exc}") from None
    if not msg.keys() or not re.match(rb"[!-9;-~]+[ \t]*:", raw.lstrip(b"\r\n")):
        raise MailParseError("not a mail message: it does not start with header lines such as From: or To:")
    try:
        return _message(msg, raw, max_attachment_bytes)
    except RecursionError:
        raise MailParseError("the MIME structure is nested too deeply to read") from None


def _message(msg: EmailMessage, raw: bytes, max_bytes: int) -> InboundMessage:
    defects: list[str] = []
    headers = _headers(msg, defects)
    from_name, from_address = _first_address(headers.get("from", ""))
    body = _Body(max_bytes, defects)
    body.walk(msg)
    text = body.text()
    subject = _one_line(headers.get("subject", ""))
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 3] + "..."
    for defect in msg.defects:
        if type(defect).__name__ != "MultipartInvariantViolationDefect":  # said better by the part's own
            defects.append(_defect(defect))
    return InboundMessage(
        message_id=_message_id(headers.get("message-id", ""), raw),
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        to=_addresses(headers, "to"),
        cc=_addresses(headers, "cc"),
        date=_date(headers.get("date")),
        in_reply_to=next(iter(_ids(headers.get("in-reply-to", ""))), None),
        references=tuple(_ids(headers.get("references", ""))),
        text=text,
        headers=headers,
        attachments=tuple(body.attachments),
        delivery_status=tuple(body.reports),
        raw=raw,
        defects=tuple(dict.fromkeys(defects)),
    )


def _without_mbox_line(raw: bytes) -> bytes:
    """Drop an mbox ``From `` separator line, which some programs hand over with the message."""
    if raw.startswith(b"From "):
        end = raw.find(b"\n")
        return raw[end + 1 :] if end >= 0 else b""
    return raw


def _defect(defect: Any) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__.removesuffix("Defect")).lower()
    return f"broken MIME: {words}"


# --- headers --------------------------------------------------------------------------------------------


def _headers(msg: Message, defects: list[str]) -> dict[str, str]:
    """Header name (lower case) -> its first value, decoded and unfolded."""
    out: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = name.strip().lower()
        if key in out:
            continue
        value = str(value)
        if any("\udc80" <= c <= "\udcff" for c in value):  # raw 8-bit bytes in a header: UTF-8 or cp1252
            value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
        text = re.sub(r"\r?\n(?=[ \t])", "", value)
        if "=?" in value:  # encoded words: the policy's parser decodes them (plain values need no parsing)
            try:
                text = str(POLICY.header_factory(name, value))
            except Exception:  # noqa: BLE001 - a header the policy cannot read is kept as written
                defects.append(f"broken header: {key}")
                text = _decode_words(text)
        out[key] = _CONTROL.sub("", text.replace("\r", "").replace("\n", " ")).strip()
    return out


def _decode_words(value: str) -> str:
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001 - kept as written
        return value


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _first_address(value: str) -> tuple[str, str]:
    from email.utils import getaddresses

    for name, address in getaddresses([value]):
        if "@" in address:
            return _one_line(name).strip("\"'"), address.strip().lower()
    return "", ""


def _addresses(headers: dict[str, str], key: str) -> tuple[str, ...]:
    from email.utils import getaddresses

    found = [a.strip().lower() for _, a in getaddresses([headers.get(key, "")]) if "@" in a]
    return tuple(dict.fromkeys(found))


def _ids(value: str) -> list[str]:
    return list(dict.fromkeys(_ID.findall(value)))


def _message_id(value: str, raw: bytes) -> str:
    ids = _ids(value)
    found = ids[0] if ids else _one_line(value).strip("<>").replace(" ", "")
    if found and len(found) <= MAX_MESSAGE_ID:
        return found
    if found:
        return f"{hashlib.sha256(found.encode('utf-8', 'replace')).hexdigest()[:40]}@long-id.tinycrm.invalid"
    return f"{stable_hash(raw)}@no-id.tinycrm.invalid"


def stable_hash(raw: bytes) -> str:
    """A hash of the message that the way it arrived does not change: line ends, an mbox ``From `` line and the
    headers a delivery adds (Received, Return-Path, Delivered-To, ...) are left out."""
    data = _without_mbox_line(raw).replace(b"\r\n", b"\n")
    head, _, body = data.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        name = line.partition(b":")[0].strip().lower().decode("ascii", "replace")
        skipping = name in TRACE_HEADERS
        if not skipping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body).hexdigest()[:40]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


# --- body, attachments, delivery reports ----------------------------------------------------------------


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in the declared ``charset``, falling back to UTF-8, then windows-1252."""
    import codecs

    tries: list[str] = []
    if charset:
        try:
            name = codecs.lookup(charset.strip().strip("\"'")).name
        except LookupError:
            name = ""
        # what mail calls iso-8859-1 or us-ascii is windows-1252 in practice (as browsers read it)
        tries.append("cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name)
    for encoding in (*tries, "utf-8", "cp1252"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _CONTROL.sub("", text).strip()


class _Body:
    """Walks the MIME tree once: the text parts, the HTML parts, the attachments, the delivery reports."""

    def __init__(self, max_bytes: int, defects: list[str]) -> None:
        self.max_bytes = max_bytes
        self.defects = defects
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.reports: list[dict[str, str]] = []

    def text(self) -> str:
        if self.plain:
            return "\n\n".join(t for t in self.plain if t)
        if self.html:
            from tinycrm.formats.htmltext import html_to_text

            return html_to_text("\n".join(self.html))
        return ""

    def walk(self, part: Message, depth: int = 0) -> None:
        if depth > 50:
            self.defects.append("broken MIME: nested too deeply")
            return
        kind = _Kind(part)
        for defect in part.defects if depth else ():
            self.defects.append(_defect(defect))
        if kind.ctype == "message/delivery-status":
            self.reports += _delivery_status(part)
        elif kind.ctype == "message/rfc822" or (kind.maintype == "message" and part.is_multipart()):
            self._attach(kind, _payload_of_message(part), "message.eml")
        elif part.is_multipart():
            children: Any = part.get_payload()
            if not isinstance(children, list):
                self.defects.append("broken MIME: a multipart with no parts")
                return
            if kind.ctype == "multipart/alternative":
                children = _best_alternative(children)
            for child in children:
                self.walk(child, depth + 1)
        else:
            self._leaf(part, kind)

    def _leaf(self, part: Message, kind: _Kind) -> None:
        data = _payload(part)
        ctype, disposition, filename = kind.ctype, kind.disposition, kind.filename
        if kind.maintype == "multipart":  # a multipart whose boundary is missing
            self.defects.append("broken MIME: a multipart without its boundary, read as text")
            ctype = "text/plain"
        if (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and not (filename and disposition is None and ctype != "text/plain")
        ):
            text = _clean_text(decode_bytes(data, kind.params.get("charset")))
            (self.plain if ctype == "text/plain" else self.html).append(text)
        elif ctype == "text/rfc822-headers":
            return  # the headers of a returned message, in a delivery report
        else:
            self._attach(kind, data, filename)

    def _attach(self, kind: _Kind, data: bytes, filename: str | None) -> None:
        name = filename or f"attachment-{len(self.attachments) + 1}"
        kept = data if len(data) <= self.max_bytes else None
        self.attachments.append(Attachment(name, kind.ctype, len(data), kept))


class _Kind:
    """A part's type, parameters, disposition and file name, from its headers read once (each read of a header
    under ``policy.default`` parses it again)."""

    def __init__(self, part: Message) -> None:
        ct: Any = part.get("content-type")
        ctype = str(getattr(ct, "content_type", "") or "").lower()
        if ct is None or "/" not in ctype:
            ctype = part.get_default_type()
        self.ctype = ctype
        self.maintype = ctype.partition("/")[0]
        self.params: dict[str, str] = dict(getattr(ct, "params", None) or {})
        cd: Any = part.get("content-disposition")
        word = str(getattr(cd, "content_disposition", "") or "").lower() if cd is not None else ""
        self.disposition = word or None
        name = (getattr(cd, "params", None) or {}).get("filename") if cd is not None else None
        self.filename = _clean_filename(name or self.params.get("name"))


def _best_alternative(children: list[Message]) -> list[Message]:
    """Of the alternatives, the one to read: text/plain, else HTML, else the richest (a multipart/related)."""
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if child.get_content_type() == wanted and child.get_content_disposition() != "attachment":
                return [child]
    return children[-1:]


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a damaged transfer encoding: take the text as it stands
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _payload_of_message(part: Message) -> bytes:
    inner: Any = part.get_payload()
    if isinstance(inner, list) and inner:
        try:
            return inner[0].as_bytes(policy=policy.SMTP)
        except Exception:  # noqa: BLE001
            return str(inner[0]).encode("utf-8", "replace")
    return _payload(part)


def _clean_filename(name: Any) -> str | None:
    if not name:
        return None
    name = _CONTROL.sub("", str(name)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or None


def _delivery_status(part: Message) -> list[dict[str, str]]:
    """The per-recipient fields of a ``message/delivery-status`` part (RFC 3464)."""
    blocks: Any = part.get_payload()
    if not isinstance(blocks, list):
        from email.parser import HeaderParser

        text = _payload(part).decode("utf-8", "replace").replace("\r\n", "\n")
        blocks = [HeaderParser().parsestr(b) for b in re.split(r"\n\s*\n", text) if b.strip()]
    out = []
    for block in blocks:
        recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
        if not recipient:
            continue
        diagnostic = str(block.get("Diagnostic-Code") or "")
        out.append(
            {
                "recipient": str(recipient).rpartition(";")[2].strip().strip("<>").lower(),
                "action": str(block.get("Action") or "").strip().lower(),
                "status": str(block.get("Status") or "").strip(),
                "diagnostic": _one_line(diagnostic.partition(";")[2] or diagnostic),
            }
        )
    return out
