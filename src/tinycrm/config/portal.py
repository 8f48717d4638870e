"""``[portal]``: the customer portal's signed links (see docs/web.md).

::

    [web]
    base_url = "https://crm.example.com"     # where crm serve is reached; portal links start with it

    [portal]
    link_days = 30                           # a link in a ticket mail works this long
    replies_per_hour = 10                    # replies one customer may send through the portal in an hour
"""

from __future__ import annotations

from dataclasses import dataclass

from tinycrm.config.base import Section, setting
from tinycrm.config.sections import between


@dataclass(frozen=True)
class Portal(Section):
    """The customer portal (/portal/ of crm serve): signed links in ticket mails, the knowledge base."""

    #: how many days a portal link works after it was made (each ticket mail brings a fresh one)
    link_days: int = setting(30, check=between(1, 365))
    #: replies (and closings) one customer may send through the portal within an hour
    replies_per_hour: int = setting(10, check=between(1, 1000))
