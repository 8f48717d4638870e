"""The handlers of the mail pipeline, in the order they are asked.

``crm mail ingest`` and ``crm mail fetch`` parse each message once (:class:`tinycrm.domain.mail.InboundMessage`)
and open one transaction for it. In it, each handler below is called in turn as ``handle(tx, message, settings)``
and returns a :class:`tinycrm.domain.mail.Handled` when it took the message, or None to pass it on. The first
that takes it wins; when none does, the message is counted as ignored (never an error). The pipeline records
the Message-ID in the same transaction, so a message is handled once however often it arrives.

To add a kind of mail (campaign bounces, form notifications, ...): write ``handle`` in the area's own
``inbound`` module and add its dotted name here, where it must be asked. Order matters: a delivery status
notification or an unsubscribe request must be taken before the support desk would turn it into a ticket, and
logging mail on a contact's timeline comes last.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tinycrm.config import Settings
    from tinycrm.domain.mail import Handled, InboundMessage
    from tinycrm.store.database import Tx


class Handler(Protocol):
    def __call__(self, tx: Tx, message: InboundMessage, settings: Settings) -> Handled | None: ...


#: "module:function", asked in this order
HANDLERS: tuple[str, ...] = (
    "tinycrm.services.marketing.inbound:handle",  # bounces (RFC 3464), unsubscribes, replies to campaigns
    "tinycrm.services.leads.inbound:handle",  # contact-form notifications from a website builder
    "tinycrm.services.support.inbound:handle",  # mail to the support address: tickets and their replies
    "tinycrm.services.mail.timeline:handle",  # mail from or to a known contact: an email interaction
)


def load(names: tuple[str, ...] = HANDLERS) -> list[Handler]:
    """Import the handlers; an area that is not installed in this build is left out."""
    found: list[Handler] = []
    for name in names:
        module_name, _, function = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        handler: Callable[..., Handled | None] = getattr(module, function)
        found.append(handler)
    return found
