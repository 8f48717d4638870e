"""Rule-based lead scores, explainable: ``[leads.score]`` maps rules to points (see docs/leads.md).

A score is the sum of the rules that apply, less ``decay.week`` points per whole week without activity (since
the lead was last touched or had an interaction), never below 0. :func:`explain` gives the rules that made it;
:func:`rescore_in` stores it, and when it reaches ``[leads] threshold`` from below, tags the lead ``hot`` and
gives its owner a task.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tinycrm.domain.leads import ScoreLine
from tinycrm.store.database import Tx, as_datetime

HOT_TAG = "hot"


def explain(
    lead: Mapping[str, Any],
    kinds: Mapping[str, int],
    last_activity: datetime,
    rules: Mapping[str, int],
    now: datetime,
) -> tuple[int, list[ScoreLine]]:
    """The score of a lead (a row with ``source``, ``company_name``, ``email``, ``phone``, ``title``,
    ``value_e4``) with ``kinds`` (interaction kind -> count), and the rules that made it."""
    lines: list[ScoreLine] = []
    source = (lead["source"] or "").strip().lower()
    title = (lead["title"] or "").casefold()
    has = {
        "company": lead["company_name"],
        "email": lead["email"],
        "phone": lead["phone"],
        "title": lead["title"],
        "value": lead["value_e4"],
    }
    for rule, points in rules.items():
        family, _, rest = rule.partition(".")
        times = 0
        if family == "source":
            times = int(rest == source)
        elif family == "has":
            times = int(bool(has.get(rest)))
        elif family == "title":
            times = int(rest[len("contains.") :].casefold() in title) if title else 0
        elif family == "interaction":
            times = int(kinds.get(rest, 0))
        elif rule == "decay.week":
            times = max(0, (now - last_activity) // timedelta(weeks=1))
            if times and points:
                lines.append(ScoreLine(rule, times, -points * times))
            continue
        if times and points:
            lines.append(ScoreLine(rule, times, points * times))
    return max(0, sum(line.points for line in lines)), lines


def facts(tx: Tx, lead_id: int) -> tuple[dict[str, int], datetime | None]:
    """The lead's interactions per kind, and when the latest happened."""
    kinds: dict[str, int] = {}
    latest: datetime | None = None
    for r in tx.all(
        "SELECT i.kind, count(*) AS n, max(i.happened_at) AS at FROM lead_interactions li "
        "JOIN interactions i ON i.id = li.interaction_id WHERE li.lead_id = :l GROUP BY i.kind",
        {"l": lead_id},
    ):
        kinds[r["kind"]] = int(r["n"])
        at = as_datetime(r["at"])
        if at is not None and (latest is None or at > latest):
            latest = at
    return kinds, latest


def score_of(
    tx: Tx, row: Mapping[str, Any], rules: Mapping[str, int], now: datetime
) -> tuple[int, list[ScoreLine]]:
    kinds, latest = facts(tx, row["id"])
    touched = as_datetime(row["touched_at"]) or now
    last = max(touched, latest) if latest else touched
    return explain(row, kinds, last, rules, now)


def rescore_in(tx: Tx, lead_id: int) -> int:
    """Recompute and store one lead's score; crossing the threshold upwards tags it ``hot`` and gives its
    owner a task. Converted and disqualified leads keep their score."""
    from tinycrm import config
    from tinycrm.config.leads import Leads
    from tinycrm.services.common import now

    settings = config.get(Leads)
    row = tx.one("SELECT * FROM leads WHERE id = :i", {"i": lead_id})
    if row is None or row["status"] in ("converted", "disqualified"):
        return 0 if row is None else int(row["score"])
    score, _ = score_of(tx, row, settings.score, now())
    old = int(row["score"])
    if score != old:
        tx.execute("UPDATE leads SET score = :s WHERE id = :i", {"s": score, "i": lead_id})
    if old < settings.threshold <= score:
        _make_hot(tx, row, score)
    return score


def _make_hot(tx: Tx, row: Mapping[str, Any], score: int) -> None:
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.common import audit, tag_ids
    from tinycrm.services.work import tasks

    (tag_id,) = tag_ids(tx, [HOT_TAG])
    tx.execute(
        "INSERT INTO lead_tags (lead_id, tag_id) VALUES (:l, :t) ON CONFLICT DO NOTHING",
        {"l": row["id"], "t": tag_id},
    )
    owner = (
        tx.scalar("SELECT name FROM users WHERE id = :i", {"i": row["owner_id"]}) if row["owner_id"] else None
    )
    tasks.insert(
        tx,
        TaskInput(
            title=f"Hot lead {row['id']}: {row['name']} (score {score})"[:500],
            due=None,
            priority="high",
            owner=owner,
            assignee=owner,
        ),
    )
    audit(tx, "hot", "lead", row["id"], {"score": (None, score)})
