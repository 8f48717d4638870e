"""The ``[hooks]`` section: how webhooks are delivered (docs/webhooks.md)."""

from __future__ import annotations

from dataclasses import dataclass

from tinycrm.config.base import Section, setting
from tinycrm.config.sections import seconds


def hours(value: float) -> float:
    if not 0 < value <= 24 * 30:
        raise ValueError(f"must be a number of hours above 0, at most 720 (got {value:g})")
    return value


@dataclass(frozen=True)
class Hooks(Section):
    """Delivery of webhooks and local hooks, by ``crm hooks deliver`` and by ``crm serve``."""

    #: seconds before the first retry of a failed delivery; each further retry waits twice as long (at most
    #: an hour between two)
    retry_first_s: float = setting(10.0, check=seconds)
    #: hours after which a delivery that keeps failing is given up and kept as failed (crm hooks failed)
    give_up_after_h: float = setting(24.0, check=hours)
    #: seconds a receiver has to answer (a local hook script: to finish)
    timeout_s: float = setting(10.0, check=seconds)
    #: seconds between two delivery rounds of a running server
    poll_s: float = setting(2.0, check=seconds)
