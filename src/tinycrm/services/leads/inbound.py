"""Contact-form notification mail (from a website builder) -> a lead, in the mail pipeline.

A message is taken when its sender is listed in ``[leads] form_senders`` (an address, or ``@domain`` for
any address of the domain) and the patterns of ``[leads.form_fields]`` find a name or an email address in its
text; otherwise it is passed on (None). See :mod:`tinycrm.services.mail.handlers`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.mail import Handled, InboundMessage

if TYPE_CHECKING:
    from tinycrm.config import Settings
    from tinycrm.store.database import Tx


def _from_form(sender: str, senders: list[str]) -> bool:
    domain = "@" + sender.partition("@")[2]
    return any(s == sender or (s.startswith("@") and s == domain) for s in senders)


def parse(text: str, patterns: dict[str, str]) -> dict[str, str]:
    """The fields a notification's text holds, by the patterns (field -> regex with one group)."""
    out: dict[str, str] = {}
    for key, pattern in patterns.items():
        m = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
        if m and m.group(1) and m.group(1).strip():
            out[key] = m.group(1).strip()
    return out


def handle(tx: Tx, message: InboundMessage, settings: Settings) -> Handled | None:
    from tinycrm.config.leads import Leads
    from tinycrm.domain.leads import LeadInput
    from tinycrm.services.leads.records import insert

    conf = settings.get(Leads)
    if not conf.form_senders or not _from_form(message.from_address, conf.form_senders):
        return None
    found = parse(message.text, dict(conf.form_fields))
    if not found.get("name") and not found.get("email"):
        return None
    data = LeadInput(
        name=found.get("name", "")[:400] or None,
        email=found.get("email"),
        phone=found.get("phone"),
        company=(found.get("company") or "")[:300] or None,
        title=(found.get("title") or "")[:300] or None,
        notes=found.get("message"),
        source="mail",
        source_detail=(f"form mail: {message.subject}" if message.subject else "form mail")[:500],
        fields={"message_id": message.message_id[:1000]} if message.message_id else {},
    )
    try:
        lead_id = insert(tx, data)
    except InvalidInput:
        # a notification with an unusable address or phone: keep the rest rather than lose the lead
        data.email = data.email if data.email and "@" in data.email and " " not in data.email else None
        data.phone = None
        if not data.name and not data.email:
            return None
        lead_id = insert(tx, data)
    return Handled(
        "lead", f"lead {lead_id}: {data.name or data.email} from a contact form", {"lead": lead_id}
    )
