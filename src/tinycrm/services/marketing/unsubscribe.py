"""The one-click unsubscribe of campaign mail (RFC 8058): ``List-Unsubscribe: <BASE/unsubscribe/TOKEN>`` with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, answered by ``crm serve``.

A GET only shows what the link is for (mail scanners follow links; nobody is opted out by one); a POST, from the
page's button or from the mail client itself, opts the address out, in one transaction with the end of the
person's sequences and the recipient's state, exactly like an unsubscribe mail (:mod:`.inbound`). The token is
the capability: it names one recipient of one campaign and only this database can make it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinycrm.store.database import Database


@dataclass(frozen=True)
class Unsubscribe:
    """Whose link it is: the address, shown half hidden (``a***@example.com``), and whether it is out already."""

    shown_address: str
    opted_out: bool


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def look_up(db: Database, token: str) -> Unsubscribe | None:
    """What the link of ``token`` is for, or None for a token this database did not make."""
    from tinycrm.services.marketing.inbound import _from_token

    with db.read() as tx:
        recipient = _from_token(tx, token)
        if recipient is None:
            return None
        state = tx.scalar(
            "SELECT status FROM consents WHERE address_key = :a", {"a": recipient["address"].casefold()}
        )
    return Unsubscribe(_masked(recipient["address"]), state == "opted-out")


def unsubscribe(db: Database, token: str) -> Unsubscribe | None:
    """Opt the link's address out (again is harmless); None for an unknown token."""
    from tinycrm.services.marketing.inbound import _from_token, _opt_out

    with db.write() as tx:
        recipient = _from_token(tx, token)
        if recipient is None:
            return None
        _opt_out(tx, recipient["address"], recipient["contact_id"], recipient["id"], how="link")
    return Unsubscribe(_masked(recipient["address"]), True)
