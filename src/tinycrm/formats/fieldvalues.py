"""Email addresses and phone numbers as files write them, read as what they are. Shared by the vCard and CSV
readers.

* ``"Omega" <omega@example.com>`` and ``Omega <omega@example.com>`` (a mail client's way of writing an
  address with its name) are the address;
* an address a person would not type but a file may hold on purpose (``user@invalid``, ``root@localhost``) and
  a vanity number (``1-800-MY-APPLE``) stay an email address and a phone number: the import keeps them as the
  field they are, and says so in a warning (see :func:`tinycrm.domain.validation.loose_email`).
"""

from __future__ import annotations

import re

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput

_NAMED = re.compile(r'^\s*(?:"(?:[^"\\]|\\.)*"|[^<>"]*)\s*<\s*([^<>\s]+)\s*>\s*$')


def email(text: str) -> tuple[str, str | None]:
    """The address in ``text``, and a warning when it is one a person would not type. Raises
    :class:`~tinycrm.domain.errors.InvalidInput` when it is no address at all."""
    try:
        return v.email(text), None
    except InvalidInput:
        m = _NAMED.match(text)
        if m:
            return email(m.group(1))
        value = v.loose_email(text)
    return value, f"{value!r} is an address on a local or test domain; kept as an email address"


def phone(text: str) -> tuple[str, str | None]:
    """The number in ``text``, and a warning when it has letters for digits (a vanity number). Raises
    :class:`~tinycrm.domain.errors.InvalidInput` when it is no number at all."""
    try:
        return v.phone(text), None
    except InvalidInput:
        value = v.loose_phone(text)
    return value, f"{value!r} has letters for digits (a vanity number); kept as a phone number"
