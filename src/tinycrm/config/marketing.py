"""``[marketing]``: campaigns and their mail."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tinycrm.config.base import Section, setting, shown
from tinycrm.config.sections import address, between


def https_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not re.fullmatch(r"https://[A-Za-z0-9.\-]+(:\d+)?(/[\w\-./~%]*)?", value):
        raise ValueError(
            f'must be an https:// address such as "https://crm.example.com" (got {shown(value)})'
        )
    return value


@dataclass(frozen=True)
class Marketing(Section):
    """Campaigns: the unsubscribe address every mail names, and whether campaign mail counts as contact."""

    #: the mailbox that unsubscribe requests go to (``List-Unsubscribe: mailto:``): each mail names it with
    #: ``+TOKEN`` after the local part; ``crm mail ingest`` of that mailbox opts the person out. Needed to send
    unsubscribe_address: str | None = setting(None, check=address)
    #: the HTTPS address of tinycrm's web server, for one-click unsubscribe links (RFC 8058); unset: mailto only
    base_url: str | None = setting(None, check=https_url)
    #: a campaign mail counts as being in touch (stay-in-touch cadences) when true
    counts_as_contact: bool = False
    #: messages a minute when ``crm campaign send`` has no ``--rate``; 0: as fast as the server takes them
    rate: int = setting(0, check=between(0, 100_000))
