"""Support for the app's tests: a small, fixed data set built through the services, and Pilot helpers.

Built in two steps on a fixed clock (``TINYCRM_NOW``): most records on 1 February 2026, the rest on
25 February; the app then runs on 2 March 2026 09:00 UTC, so some deals are idle, one task is overdue, one is
due today, a birthday is coming and one contact is due for a call. Nothing depends on the real clock.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any

APP_NOW = "2026-03-02T09:00:00+00:00"
BUILD_1 = "2026-02-01T09:00:00+00:00"
BUILD_2 = "2026-02-25T09:00:00+00:00"


@contextmanager
def clock_at(moment: str) -> Any:
    old = os.environ.get("TINYCRM_NOW")
    os.environ["TINYCRM_NOW"] = moment
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TINYCRM_NOW", None)
        else:
            os.environ["TINYCRM_NOW"] = old


PEOPLE = [
    # name, email, phone, company, title, tags, extra
    (
        "Ada Lovelace",
        "ada@acme.com",
        "+44 20 7946 0001",
        "Acme Corporation",
        "CTO",
        ["client", "vip"],
        {
            "birthday": "--03-04",
            "cadence_days": 30,
            "fields": {"source": "conference"},
            "notes": "Prefers mornings.",
        },
    ),
    (
        "Grace Hopper",
        "grace@globex.com",
        "+1 212 555 0102",
        "Globex",
        "Engineering Lead",
        ["prospect"],
        {"cadence_days": 14},
    ),
    ("Alan Turing", "alan@initech.com", "+44 161 496 0003", "Initech", "Founder", ["partner"], {}),
    ("Linus Torvalds", "linus@example.org", None, None, "Freelance Developer", [], {}),
    (
        "Margaret Hamilton",
        "margaret@acme.com",
        "+1 617 555 0105",
        "Acme Corporation",
        "Head of Engineering",
        ["client"],
        {},
    ),
    ("Zoë Müller", "zoe@mueller-soehne.de", "+49 30 901820", "Müller & Söhne GmbH", "Founder", ["vip"], {}),
    ("Edsger Dijkstra", "edsger@example.nl", None, "Initech", "Researcher", ["newsletter"], {}),
    ("Barbara Liskov", "barbara@globex.com", None, "Globex", "Architect", ["prospect", "newsletter"], {}),
    ("Ken Thompson", "ken@example.com", None, None, None, [], {}),
    ("Katherine Johnson", "katherine@example.com", None, None, "Mathematician", [], {"archived": True}),
]


def build(db: Any) -> dict[str, int]:
    """Fill an empty, migrated database; give the ids of the records by a short name."""
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.domain.sales import DealInput
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.people import contacts, interactions
    from tinycrm.services.sales import deals
    from tinycrm.services.work import tasks

    ids: dict[str, int] = {}
    with clock_at(BUILD_1):
        for name, email, phone, company, title, tags, extra in PEOPLE:
            c = contacts.create(
                db,
                ContactInput(
                    display_name=name,
                    emails=[Labeled(email, "work")],
                    phones=[Labeled(phone, "mobile")] if phone else [],
                    company=company,
                    job_title=title,
                    tags=tags,
                    **extra,
                ),
            )
            ids[name.split()[0].lower()] = c.id
        log = [
            ("ada", "call", "2026-01-20 10:00", "Intro call", None),
            (
                "ada",
                "meeting",
                "2026-01-28 14:30",
                "Kick-off meeting",
                "Agreed on the scope and a first date.",
            ),
            ("grace", "email", "2026-01-15 11:00", "Sent the case study", None),
            ("alan", "call", "2026-01-30 16:00", "Pricing discussion", None),
        ]
        for who, kind, when, summary, body in log:
            interactions.log(db, contact_ids=[ids[who]], kind_=kind, summary=summary, when=when, body=body)
        first = [
            (
                "acme",
                "Acme CRM rollout",
                "24000",
                "EUR",
                "ada",
                "Proposal",
                "2026-03-20",
                "Send revised quote",
                "2026-03-05",
            ),
            ("globex", "Globex pilot", "8500", "EUR", "grace", "Lead", "2026-04-15", None, None),
            (
                "initech",
                "Initech support plan",
                "12000",
                "EUR",
                "alan",
                "Qualified",
                "2026-03-31",
                None,
                None,
            ),
            ("audit", "Globex audit", "6000", "EUR", "barbara", "Negotiation", "2026-02-20", None, None),
            ("hardware", "Initech hardware", "9000", "EUR", "edsger", "Proposal", "2026-02-28", None, None),
        ]
        for key, title, value, cur, who, stage, close, step, due in first:
            d = deals.create(
                db,
                DealInput(
                    title=title,
                    value=value,
                    currency=cur,
                    contact_ids=[ids[who]],
                    stage=stage,
                    expected_close=close,
                    next_step=step,
                    next_step_due=due,
                ),
            )
            ids[f"deal_{key}"] = d.id
    with clock_at(BUILD_2):
        second = [
            ("mueller", "Müller website", "4200", "EUR", "zoë", "Negotiation", "2026-03-10"),
            ("training", "Acme training", "3000", "EUR", "margaret", "Lead", None),
            ("hooli", "Hooli migration", "15000", "USD", "linus", "Qualified", "2026-05-29"),
        ]
        for key, title, value, cur, who, stage, close in second:
            d = deals.create(
                db,
                DealInput(
                    title=title,
                    value=value,
                    currency=cur,
                    contact_ids=[ids[who]],
                    stage=stage,
                    expected_close=close,
                ),
            )
            ids[f"deal_{key}"] = d.id
        deals.win(db, ids["deal_audit"])
        deals.lose(db, ids["deal_hardware"], "price")
        interactions.log(
            db, contact_ids=[ids["ada"]], kind_="email", summary="Sent the proposal", when="2026-02-24 09:15"
        )
        ids["task_call"] = tasks.follow_up(db, ids["ada"], "2026-03-02 15:00", "Call Ada about the quote").id
        ids["task_contract"] = tasks.create(
            db, TaskInput(title="Send contract to Zoë", due="2026-02-27", contact_id=ids["zoë"])
        ).id
        ids["task_workshop"] = tasks.create(
            db, TaskInput(title="Prepare the workshop", due="2026-03-05", contact_id=ids["margaret"])
        ).id
        ids["task_domain"] = tasks.create(db, TaskInput(title="Renew the domain", due="2026-03-06")).id
    return ids


async def settle(pilot, rounds: int = 4) -> None:
    """Let thread workers finish and their messages be handled (handlers may start new workers)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        busy = [w for w in app.workers if not w.is_finished]
        if not busy:
            break
        await app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot, *keys: str) -> None:
    """Press keys, letting the app settle after each (``type:text`` types text a character at a time)."""
    for key in keys:
        if key.startswith("type:"):
            await pilot.press(*key[5:])
            await settle(pilot, 1)
        else:
            await pilot.press(key)
            await settle(pilot)


def option_row(pilot, selector: str, index: int) -> tuple[int, int]:
    """Where on the screen the option at ``index`` of the OptionList ``selector`` is (it must be in view)."""
    screen = pilot.app.screen
    region = screen.query_one(selector).content_region
    for y in range(region.y, region.bottom):
        if screen.get_style_at(region.x + 3, y).meta.get("option") == index:
            return region.x + 3, y
    raise AssertionError(f"option {index} of {selector} is not on the screen")


async def click_option(pilot, selector: str, index: int) -> None:
    """Click an option of an OptionList where it shows, as a person would with the mouse."""
    x, y = option_row(pilot, selector, index)
    assert await pilot.click(offset=(x, y)), f"the click at {x},{y} hit nothing"
    await settle(pilot)


def send_fast(pilot, *keys: str) -> None:
    """Put key presses in the app's queue all at once, as a fast typist or a paste does: no waiting for the app
    between them (``type:text`` is a character at a time)."""
    from textual import events
    from textual.app import _character_to_key

    app = pilot.app
    for key in keys:
        for k in list(key[5:]) if key.startswith("type:") else [key]:
            name = _character_to_key(k) if len(k) == 1 and not k.isalnum() else k
            char = k if len(k) == 1 else None
            event = events.Key(name, char)
            event.set_sender(app)
            app._driver.send_message(event)
