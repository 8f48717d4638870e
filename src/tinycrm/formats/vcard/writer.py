"""Writing vCard 3.0 (RFC 2426) or 4.0 (RFC 6350) text: lines folded at 75 octets, CRLF line ends.

A card is written by the property writers of :data:`WRITERS`, in card order; each gives the lines of one
property or family of properties (names, work, birthday, labelled values, ...)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC

from tinycrm import __version__
from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.records import ContactData, Extra
from tinycrm.formats.vcard.lines import escape, split_escaped, unescape
from tinycrm.formats.vcard.values import MEDIA

VERSIONS = ("3.0", "4.0")
PRODID = f"-//tinycrm//tinycrm {__version__}//EN"

_TEL_TYPES = {
    "3.0": {"home", "work", "mobile", "fax", "pager", "video", "msg", "car", "isdn", "bbs", "modem", "pcs"},
    "4.0": {"home", "work", "mobile", "fax", "pager", "video", "text", "textphone"},
}
_PLAIN_TYPES = {"home", "work"}
_ITEM = re.compile(r"^item(\d+)\.", re.I)
_ENCODING_B = re.compile(r"(?i)(^|;)ENCODING=b(;|$)")
#: the kept properties that stand for the parts of N and ORG without a column (see :func:`_shadow`)
_SHADOWED = ("N", "ORG")


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a character."""
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    out = []
    start, limit, n = 0, 75, len(data)
    while start < n:
        end = min(start + limit, n)
        while end < n and (data[end] & 0xC0) == 0x80:
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(out)


def _prop(name: str, params: str | None, value: str) -> str:
    return fold(f"{name};{params}:{value}" if params else f"{name}:{value}")


def _types_for(label: str | None, kind: str, version: str) -> str | None:
    """``TYPE=...`` for a label every client understands, or None when it needs an ``X-ABLabel``."""
    if label is None:
        return "" if kind != "EMAIL" or version != "3.0" else "TYPE=INTERNET"
    words = label.split()
    allowed = _TEL_TYPES[version] if kind == "TEL" else _PLAIN_TYPES
    if not words or any(w not in allowed for w in words) or len(set(words)) != len(words):
        return None
    if kind == "TEL":
        words = ["cell" if w == "mobile" else w for w in words]
    if kind == "EMAIL" and version == "3.0":
        words = ["internet", *words]
    values = ",".join(w.upper() if version == "3.0" else w for w in words)
    return f"TYPE={values}"


def _first_shadows(extras: list[Extra]) -> dict[str, int | None]:
    """The index of the first kept ``N`` and ``ORG``."""
    return {name: next((i for i, e in enumerate(extras) if e.name == name), None) for name in _SHADOWED}


def _shadow(extras: list[Extra], index: int | None, expected: list[str | None]) -> Extra | None:
    """The kept original ``N`` or ``ORG`` (the first extra of that name), when it still agrees with the
    columns; otherwise the columns win and it is dropped."""
    if index is None:
        return None
    e = extras[index]
    parts = [" ".join(unescape(x).split()) for x in split_escaped(e.value)] + [""] * len(expected)
    if all((parts[i] or None) == (want or None) for i, want in enumerate(expected)):
        return e
    return None


def _extra_for(e: Extra, version: str) -> tuple[str | None, str]:
    """A kept property's parameters and value for ``version``: 4.0 has data URIs instead of ENCODING=b."""
    params, value = e.params, e.value
    if version == "4.0" and params and _ENCODING_B.search(params):
        kept, media = [], None
        for item in params.split(";"):
            key, _, val = item.partition("=")
            if key.upper() == "ENCODING":
                continue
            if key.upper() == "TYPE" and media is None and "/" not in val and val.isalnum():
                base = e.name.rsplit(".", 1)[-1].upper()
                media = MEDIA.get(
                    val.upper(), f"{'image' if base in ('PHOTO', 'LOGO') else 'application'}/{val.lower()}"
                )
                continue
            if key.upper() == "TYPE" and "/" in val:
                media = val
                continue
            kept.append(item)
        params = ";".join(kept) or None
        value = f"data:{media or 'application/octet-stream'};base64,{value}"
    return params, value


# --- the property writers, in card order ----------------------------------------------------------------

#: a property writer adds the lines of its properties to the card's lines
Writer = Callable[[ContactData, str, list[str]], None]


def _identity(c: ContactData, version: str, lines: list[str]) -> None:
    lines.append(_prop("UID", None, escape(c.uid)))
    lines.append(_prop("FN", None, escape(c.display_name)))


def _names(c: ContactData, version: str, lines: list[str]) -> None:
    """N and ORG: the kept originals while they agree with the columns (they hold prefix, department...)."""
    n = org = None
    if c.extras:
        first = _first_shadows(c.extras)
        n = _shadow(c.extras, first["N"], [c.family_name, c.given_name])
        org = _shadow(c.extras, first["ORG"], [c.company])
    if n is not None:
        lines.append(_prop("N", n.params, n.value))
    else:
        lines.append(_prop("N", None, f"{escape(c.family_name or '')};{escape(c.given_name or '')};;;"))
    if org is not None:
        lines.append(_prop("ORG", org.params, org.value))
    elif c.company:
        lines.append(_prop("ORG", None, escape(c.company)))


def _work(c: ContactData, version: str, lines: list[str]) -> None:
    if c.job_title:
        lines.append(_prop("TITLE", None, escape(c.job_title)))
    if c.company_role:
        lines.append(_prop("ROLE", None, escape(c.company_role)))


def _bday(c: ContactData, version: str, lines: list[str]) -> None:
    b = c.birthday
    if not b:
        return
    if version == "4.0":
        b = b.replace("-", "") if not b.startswith("--") else "--" + b[2:].replace("-", "")
    lines.append(f"BDAY:{b}")


def _labelled(c: ContactData, version: str, lines: list[str]) -> None:
    """EMAIL, TEL and ADR with TYPE parameters, or in an ``itemN.`` group with an ``X-ABLabel`` when the
    label is not one every client understands."""
    item = max((int(m.group(1)) for e in c.extras if (m := _ITEM.match(e.name))), default=0)

    def add(kind: str, label: str | None, value: str) -> None:
        nonlocal item
        types = _types_for(label, kind, version)
        if types is None:
            item += 1
            lines.append(_prop(f"item{item}.{kind}", None, value))
            lines.append(_prop(f"item{item}.X-ABLabel", None, escape(label or "")))
        else:
            lines.append(_prop(kind, types or None, value))

    for e in c.emails:
        add("EMAIL", e.label, escape(e.value))
    for p in c.phones:
        add("TEL", p.label, escape(p.value))
    for a in c.addresses:
        parts = (a.po_box, a.extended, a.street, a.locality, a.region, a.postcode, a.country)
        add("ADR", a.label, ";".join(escape(x or "") for x in parts))


def _note_and_tags(c: ContactData, version: str, lines: list[str]) -> None:
    if c.notes:
        lines.append(_prop("NOTE", None, escape(c.notes)))
    if c.tags:
        lines.append(_prop("CATEGORIES", None, ",".join(escape(t) for t in c.tags)))


def _photo(c: ContactData, version: str, lines: list[str]) -> None:
    if c.photo is None:
        return
    data = base64.b64encode(c.photo.data).decode("ascii")
    if version == "4.0":
        lines.append(fold(f"PHOTO:data:{c.photo.media_type};base64,{data}"))
        return
    media = c.photo.media_type
    kind = media[6:].upper() if media.startswith("image/") else f'"{media}"'
    lines.append(fold(f"PHOTO;ENCODING=b;TYPE={kind}:{data}"))


def _tinycrm(c: ContactData, version: str, lines: list[str]) -> None:
    """tinycrm's own columns: custom fields, cadence, the archive flag."""
    for key, value in c.fields.items():
        lines.append(_prop("X-TINYCRM-FIELD", None, escape(f"{key}={value}")))
    if c.cadence_days:
        lines.append(f"X-TINYCRM-CADENCE:{c.cadence_days}")
    if c.archived:
        lines.append("X-TINYCRM-ARCHIVED:TRUE")


def _extras(c: ContactData, version: str, lines: list[str]) -> None:
    """The properties kept verbatim, but for the first N and ORG (written by :func:`_names`)."""
    if not c.extras:
        return
    shadows = _first_shadows(c.extras).values()
    for i, e in enumerate(c.extras):
        if i not in shadows:
            params, value = _extra_for(e, version)
            lines.append(_prop(e.name, params, value))


def _rev(c: ContactData, version: str, lines: list[str]) -> None:
    if c.updated_at is not None:
        lines.append("REV:" + c.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))


#: what a card holds, in order, after BEGIN, VERSION and PRODID
WRITERS: tuple[Writer, ...] = (
    _identity,
    _names,
    _work,
    _bday,
    _labelled,
    _note_and_tags,
    _photo,
    _tinycrm,
    _extras,
    _rev,
)


def write_card(c: ContactData, version: str = "3.0") -> str:
    """One contact as a vCard (text with CRLF line ends)."""
    if version not in VERSIONS:
        raise InvalidInput(f"vCard version {version!r} cannot be written; use 3.0 or 4.0")
    lines = ["BEGIN:VCARD", f"VERSION:{version}", f"PRODID:{PRODID}"]
    for write in WRITERS:
        write(c, version, lines)
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"
