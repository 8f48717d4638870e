"""Checks every service applies to what people type. Each raises :class:`InvalidInput` with the field named."""

from __future__ import annotations

import re

from tinycrm.domain.errors import InvalidInput

MAX_NAME = 400
MAX_LINE = 1000
MAX_TEXT = 1_000_000

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")
_PHONE_CHARS = re.compile(r"^[0-9+\-().\s/#*]+((ext\.?|x|;ext=)\s*\d+)?$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0, DEL and C1 (U+0080-U+009F)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _utf8(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"{what} contains bytes that are not UTF-8 text; re-encode it as UTF-8", field=what
        ) from None


def text(value: str | None, what: str, *, max_len: int = MAX_TEXT, required: bool = False) -> str | None:
    """Free text (notes, bodies): any characters but NUL and other control bytes except tab and newline."""
    if value is None or not value.strip():
        if required:
            raise InvalidInput(f"{what} must not be empty", field=what)
        return None
    _utf8(value, what)
    if "\x00" in value or _CONTROL.search(value):
        raise InvalidInput(f"{what} contains control characters; remove them", field=what)
    if len(value) > max_len:
        raise InvalidInput(
            f"{what} is {len(value):,} characters long; at most {max_len:,} are allowed", field=what
        )
    return value


def line(value: str | None, what: str, *, max_len: int = MAX_LINE, required: bool = False) -> str | None:
    """One line of text (names, titles): trimmed, no line breaks."""
    if value is None:
        if required:
            raise InvalidInput(f"{what} must not be empty", field=what)
        return None
    value = " ".join(value.split())
    if not value:
        if required:
            raise InvalidInput(f"{what} must not be empty", field=what)
        return None
    _utf8(value, what)
    if _CONTROL.search(value):
        raise InvalidInput(f"{what} contains control characters; remove them", field=what)
    if len(value) > max_len:
        raise InvalidInput(
            f"{what} is {len(value):,} characters long; at most {max_len:,} are allowed", field=what
        )
    return value


def name(value: str | None, what: str = "name", *, max_len: int = MAX_NAME) -> str:
    out = line(value, what, max_len=max_len, required=True)
    assert out is not None
    # zero-width spaces and joiners, direction marks (format characters) are not printable
    if not any(ch.isprintable() and not ch.isspace() for ch in out):
        raise InvalidInput(f"{what} has no visible character (only spaces or zero-width ones)", field=what)
    return out


def email(value: str, what: str = "email") -> str:
    value = (value or "").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    _utf8(value, what)
    if not _EMAIL.match(value) or len(value.casefold()) > 320 or ".." in value:
        raise InvalidInput(
            f"{what}: {value!r} is not an email address (expected name@example.com)", field=what
        )
    return value


def phone(value: str, what: str = "phone") -> str:
    value = " ".join((value or "").split())
    if value.lower().startswith("tel:"):
        value = value[4:]
    _utf8(value, what)
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_CHARS.match(value) or digits < 3 or len(value) > 100:
        raise InvalidInput(
            f"{what}: {value!r} is not a phone number (digits, spaces and + - ( ) . / only, 3 digits or more)",
            field=what,
        )
    return value


def label(value: str | None, what: str = "label") -> str | None:
    out = line(value, what, max_len=50)
    return out.lower() if out else None


def tag(value: str) -> str:
    out = line(value, "tag", max_len=100, required=True)
    assert out is not None
    if len(out.casefold()) > 100:
        raise InvalidInput(
            f"tag {out[:20]!r}... is too long; at most 100 characters are allowed", field="tag"
        )
    if "," in out:
        raise InvalidInput(f"tag {out!r} contains a comma; give several tags separately", field="tag")
    return out


def field_key(value: str) -> str:
    out = line(value, "field name", max_len=200, required=True)
    assert out is not None
    if "=" in out:
        raise InvalidInput(f"field name {out!r} contains '='; write KEY=VALUE", field="fields")
    return out


def positive_int(
    value: int | None, what: str, *, allow_zero: bool = False, maximum: int = 2_147_483_647
) -> int | None:
    if value is None:
        return None
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(f"{what} must be a positive number (got {value})", field=what)
    if value > maximum:
        raise InvalidInput(f"{what} must be at most {maximum:,} (got {value:,})", field=what)
    return value


def currency(value: str) -> str:
    code = (value or "").strip().upper()
    if not _CURRENCY.match(code):
        raise InvalidInput(
            f"currency: {value!r} is not an ISO 4217 code such as EUR, USD or GBP", field="currency"
        )
    return code


def domain(value: str | None) -> str | None:
    out = line(value, "domain", max_len=255)
    if out is None:
        return None
    out = re.sub(r"^https?://", "", out.lower()).split("/", 1)[0]
    if out.startswith("www."):
        out = out[4:]
    if not re.fullmatch(r"[\w.-]+\.[\w-]{2,}", out):
        raise InvalidInput(f"domain: {value!r} is not a domain name such as acme.com", field="domain")
    return out


# --- values as a file writes them -----------------------------------------------------------------------
# An import keeps what a card or a row says as the field it is, even where a person typing it would more
# likely have made a mistake: an address on a single-label domain (``user@invalid``, ``root@localhost``), a
# vanity number (``1-800-MY-APPLE``). The contacts service accepts these for imports only (and the import
# reports each one); everywhere else :func:`email` and :func:`phone` hold.

_LOOSE_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@(?:[^@\s<>(),;:\"\[\].]+(?:\.[^@\s<>(),;:\"\[\].]+)*|\[[^\[\]\s]+\])$"
)
_LOOSE_PHONE = re.compile(r"^[0-9+(][0-9A-Za-z+\-().\s/#*]*((ext\.?|x|;ext=)\s*\d+)?$", re.IGNORECASE)


def loose_email(value: str, what: str = "email") -> str:
    """:func:`email`, and also addresses on a domain without a dot or with a one-letter top level, and
    address literals (``user@[192.0.2.1]``)."""
    try:
        return email(value, what)
    except InvalidInput:
        out = (value or "").strip()
        if out.lower().startswith("mailto:"):
            out = out[7:]
        if not _LOOSE_EMAIL.match(out) or len(out.casefold()) > 320 or ".." in out:
            raise
        return out


def loose_phone(value: str, what: str = "phone") -> str:
    """:func:`phone`, and also numbers with letters for digits (``1-800-MY-APPLE``)."""
    try:
        return phone(value, what)
    except InvalidInput:
        out = " ".join((value or "").split())
        if out.lower().startswith("tel:"):
            out = out[4:]
        if not _LOOSE_PHONE.match(out) or sum(ch.isdigit() for ch in out) < 3 or len(out) > 100:
            raise
        return out
