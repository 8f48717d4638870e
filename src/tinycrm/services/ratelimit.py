"""Rate limits kept in the database, so that every server process (``crm serve --processes N``) counts the same
attempts: sign-ins per client address, customer portal replies per customer and per address.

A :class:`Limit` allows ``tries`` attempts per key (an address, a customer) within ``seconds``. The attempts are
counted in fixed windows of ``seconds`` (numbered from the epoch, one row per bucket, key and window in
``rate_limit_hits``), and the window before is weighed by how much of it still lies within the last ``seconds``
(a sliding window, approximated): a burst just before a window's end still counts just after it.

:func:`hit` checks and counts in one write transaction: the earlier window is read, then one UPSERT adds the
attempt only while the current window has room (``ON CONFLICT ... DO UPDATE ... WHERE hits < room``), on
SQLite (whose write lock serialises it) and PostgreSQL (where the conflicting row is locked and the condition
checked again on its newest version) alike, so two processes never both take the last try. Rows that count
for nothing any more are deleted through the index on ``expires`` as new attempts come.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinycrm.services.common import now
from tinycrm.store.database import Database

#: a key longer than this is cut (addresses and "contact 123" are far shorter)
KEY_MAX = 200


@dataclass(frozen=True)
class Limit:
    """At most ``tries`` attempts per key within ``seconds``, counted under ``bucket``."""

    bucket: str
    tries: int
    seconds: int


def hit(db: Database, limit: Limit, key: str, *, at: float | None = None) -> int:
    """Count an attempt of ``key``: 0 when it may go on (and it is counted), else the seconds to wait (and it is
    not counted). ``at``: the moment (epoch seconds), the clock's now by default."""
    moment = now().timestamp() if at is None else at
    seconds = max(1, int(limit.seconds))
    window = int(moment // seconds)
    into = (moment - window * seconds) / seconds  # how far into the current window, 0..1
    key = key[:KEY_MAX]
    with db.write() as tx:
        tx.execute("DELETE FROM rate_limit_hits WHERE expires < :m", {"m": int(moment)})
        earlier = int(
            tx.scalar(
                "SELECT hits FROM rate_limit_hits WHERE bucket = :b AND key = :k AND window_no = :w",
                {"b": limit.bucket, "k": key, "w": window - 1},
            )
            or 0
        )
        room = limit.tries - math.ceil(earlier * (1 - into))
        taken = None
        if room > 0:
            taken = tx.all(
                "INSERT INTO rate_limit_hits (bucket, key, window_no, hits, expires) VALUES (:b, :k, :w, 1, :e) "
                "ON CONFLICT (bucket, key, window_no) DO UPDATE SET hits = rate_limit_hits.hits + 1 "
                "WHERE rate_limit_hits.hits < :room RETURNING hits",
                {"b": limit.bucket, "k": key, "w": window, "e": (window + 2) * seconds, "room": room},
            )
        if taken:
            return 0
        current = int(
            tx.scalar(
                "SELECT hits FROM rate_limit_hits WHERE bucket = :b AND key = :k AND window_no = :w",
                {"b": limit.bucket, "k": key, "w": window},
            )
            or 0
        )
    return _wait(limit.tries, earlier, current, into, seconds)


def _wait(tries: int, earlier: int, current: int, into: float, seconds: int) -> int:
    """Whole seconds until one more attempt fits (at least 1): until ``ceil(earlier * (1 - into)) + current``
    is below ``tries`` again."""
    if current < tries and earlier:
        # within this window, once enough of the earlier one has slid out
        wait = (1 - (tries - current - 1) / earlier - into) * seconds
    else:
        # in the next window, where this one is the earlier one, once enough of it has slid out
        wait = (1 - into) * seconds + max(0.0, 1 - (tries - 1) / max(current, 1)) * seconds
    return max(1, math.ceil(wait))
