"""A realistic demo database: people at companies, tags, custom fields and a history of interactions.

Deterministic for a given seed, so screenshots and tests can rely on it. Used by ``crm demo`` and by the
benchmark generator in ``bench/``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

from tinycrm.domain.errors import Conflict
from tinycrm.domain.people import Address, CompanyInput, ContactInput, Labeled
from tinycrm.services.common import now
from tinycrm.services.people import companies, contacts, interactions
from tinycrm.store.database import Database

GIVEN = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Hedy",
    "Tim",
    "Katherine",
    "John",
    "Sophie",
    "Guido",
    "Annie",
    "Niklaus",
    "Zoë",
    "Jürgen",
    "Amélie",
    "José",
    "Søren",
    "Łukasz",
    "Chloé",
    "Björn",
    "Inès",
    "François",
    "Małgorzata",
    "Ömer",
    "Иван",
    "Ольга",
    "Ελένη",
    "Νίκος",
    "Yuki",
    "Hiroshi",
    "Mei",
    "Wei",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Aisha",
    "Kwame",
    "Lucía",
    "Mateo",
    "Ingrid",
    "Lars",
]
FAMILY = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Johnson",
    "McCarthy",
    "Wilson",
    "van Rossum",
    "Easley",
    "Wirth",
    "Müller",
    "Schmidt",
    "Dubois",
    "García",
    "Kierkegaard",
    "Nowak",
    "Lefèvre",
    "Andersson",
    "Petrov",
    "Иванова",
    "Παπαδοπούλου",
    "Tanaka",
    "Suzuki",
    "Chen",
    "Wang",
    "Sharma",
    "Patel",
    "Haddad",
    "Mensah",
    "Fernández",
    "Larsen",
    "O'Brien",
    "Nguyen",
    "Kowalski",
    "Rossi",
]
CJK_NAMES = ["山田太郎", "佐藤花子", "李小龙", "王芳", "김민수", "박지영"]
COMPANIES = [
    ("Acme Corporation", "acme.com"),
    ("Globex", "globex.com"),
    ("Initech", "initech.com"),
    ("Umbrella Labs", "umbrella-labs.io"),
    ("Stark Industries", "stark.com"),
    ("Wayne Enterprises", "wayne.co"),
    ("Hooli", "hooli.xyz"),
    ("Pied Piper", "piedpiper.com"),
    ("Vandelay Industries", "vandelay.com"),
    ("Soylent", "soylent.com"),
    ("Tyrell Corp", "tyrell.com"),
    ("Cyberdyne Systems", "cyberdyne.io"),
    ("Müller & Söhne GmbH", "mueller-soehne.de"),
    ("Café Lumière", "cafe-lumiere.fr"),
    ("Nordisk Design", "nordisk.dk"),
    ("Sakura Studio", "sakura.jp"),
    ("Blue Harbor Media", "blueharbor.co.uk"),
    ("Atlas Consulting", "atlas-consulting.com"),
    ("Greenleaf Co-op", "greenleaf.coop"),
    ("Orbital Analytics", "orbital.ai"),
]
TITLES = [
    "CEO",
    "CTO",
    "Head of Marketing",
    "Product Manager",
    "Engineering Lead",
    "Designer",
    "Founder",
    "Operations Manager",
    "Procurement",
    "Freelance Developer",
    "Art Director",
    "Sales Director",
    None,
    None,
]
ROLES = ["decision maker", "billing", "technical contact", "champion", None, None, None]
TAGS = ["client", "prospect", "vip", "partner", "supplier", "newsletter", "conference", "referral", "friend"]
CITIES = [
    ("Berlin", "DE", "10115"),
    ("Paris", "FR", "75002"),
    ("London", "UK", "EC1A 1BB"),
    ("Tokyo", "JP", "100-0001"),
    ("New York", "US", "10001"),
    ("Copenhagen", "DK", "1050"),
    ("Lisbon", "PT", "1100-148"),
    ("Toronto", "CA", "M5H 2N2"),
]
STREETS = ["Main Street", "Rue de Rivoli", "Hauptstraße", "High Street", "Nyhavn", "Avenida da Liberdade"]
SUMMARIES = {
    "call": ["Intro call", "Follow-up call about the proposal", "Quick check-in", "Pricing discussion"],
    "email": ["Sent the proposal", "Answered questions about scope", "Shared the invoice", "Sent case study"],
    "meeting": ["Kick-off meeting", "Workshop on requirements", "Coffee in town", "Quarterly review"],
    "message": ["Chatted on Signal", "LinkedIn message", "Texted about the deadline"],
    "note": ["Prefers mornings", "Budget approved next quarter", "Met at the conference"],
}


def _ascii(text: str) -> str:
    import unicodedata

    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in out if ch.isalnum()) or "person"


def people(n: int, seed: int = 7) -> Iterator[ContactInput]:
    """``n`` plausible contacts."""
    rnd = random.Random(seed)
    for i in range(n):
        if rnd.random() < 0.03:
            name = rnd.choice(CJK_NAMES)
            given, family = None, None
        else:
            given, family = rnd.choice(GIVEN), rnd.choice(FAMILY)
            name = f"{given} {family}"
        company, domain = rnd.choice(COMPANIES) if rnd.random() < 0.8 else (None, None)
        local = f"{_ascii(given or 'info')}.{_ascii(family or str(i))}"
        emails = [Labeled(f"{local}{i}@{domain or 'example.org'}", "work")]
        if rnd.random() < 0.3:
            emails.append(Labeled(f"{local}{i}@mail.example.net", "home"))
        phones = [
            Labeled(
                f"+{rnd.choice([1, 33, 44, 49, 81])} {rnd.randint(100, 999)} "
                f"{rnd.randint(100, 999)} {rnd.randint(1000, 9999)}",
                rnd.choice(["mobile", "work"]),
            )
        ]
        city, country, postcode = rnd.choice(CITIES)
        address = (
            [
                Address(
                    label="work",
                    street=f"{rnd.randint(1, 200)} {rnd.choice(STREETS)}",
                    locality=city,
                    postcode=postcode,
                    country=country,
                )
            ]
            if rnd.random() < 0.4
            else []
        )
        year = rnd.randint(1955, 2000)
        birthday = f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}" if rnd.random() < 0.4 else None
        fields = (
            {"source": rnd.choice(["website", "referral", "conference", "cold email"])}
            if rnd.random() < 0.5
            else {}
        )
        yield ContactInput(
            display_name=name,
            given_name=given,
            family_name=family,
            emails=emails,
            phones=phones,
            addresses=address,
            job_title=rnd.choice(TITLES),
            company=company,
            company_role=rnd.choice(ROLES),
            birthday=birthday,
            tags=rnd.sample(TAGS, rnd.choice([0, 1, 1, 2, 3])),
            fields=fields,
            cadence_days=rnd.choice([None] * 14 + [30, 60, 90]),
            notes=rnd.choice(
                [None, None, "Met at PyCon.", "Prefers email over calls.", "Vegetarian; likes tea."]
            ),
        )


def populate(
    db: Database, *, contacts_n: int = 300, interactions_per_contact: float = 3.0, seed: int = 7
) -> dict:
    """Fill an (empty) database; give the counts."""
    rnd = random.Random(seed + 1)
    ids: list[int] = []
    batch = 500
    gen = people(contacts_n, seed)
    created_i = 0
    stamp = now()
    with db.write() as tx:
        for name, domain in COMPANIES:  # with their domains and websites, before people refer to them by name
            try:
                companies.insert(tx, CompanyInput(name=name, domain=domain, website=f"https://www.{domain}"))
            except Conflict:
                pass
    while True:
        chunk = [c for _, c in zip(range(batch), gen, strict=False)]
        if not chunk:
            break
        with db.write() as tx:
            new_ids = [contacts.insert(tx, c) for c in chunk]
            ids.extend(new_ids)
            for cid in new_ids:
                for _ in range(int(rnd.random() * 2 * interactions_per_contact)):
                    kind = rnd.choice(list(SUMMARIES))
                    when = stamp - timedelta(days=rnd.randint(0, 400), hours=rnd.randint(0, 10))
                    interactions.insert(
                        tx,
                        contact_ids=[cid],
                        kind=kind,
                        summary=rnd.choice(SUMMARIES[kind]),
                        happened_at=when,
                        body=None,
                    )
                    created_i += 1
    sales = populate_sales(db, ids, seed=seed) if ids else {"deals": 0, "tasks": 0}
    return {"contacts": len(ids), "interactions": created_i, **sales}


DEALS = [
    "Website redesign",
    "Brand refresh",
    "Mobile app MVP",
    "Data pipeline audit",
    "SEO retainer",
    "Onboarding workshop",
    "API integration",
    "Annual support contract",
    "Photo shoot",
    "Newsletter templates",
    "E-commerce migration",
    "Security review",
    "Dashboard prototype",
    "Copywriting package",
    "Training day",
]
LOST_REASONS = ["budget cut", "went with a competitor", "timing", "no response", "scope too small"]
TASKS = [
    "Send the proposal",
    "Call about the invoice",
    "Prepare the workshop",
    "Check in after launch",
    "Share the case study",
    "Book the kick-off",
    "Ask for a testimonial",
    "Review the contract",
]


def populate_sales(db: Database, contact_ids: list[int], *, seed: int = 7, deals_n: int = 40) -> dict:
    """Deals over the last year (open ones at every stage, some idle, some won and lost) and tasks around
    today (overdue, due today, upcoming, one repeating), all through the services as a person would."""
    from tinycrm.domain import clock
    from tinycrm.domain.sales import DealInput
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.sales import deals
    from tinycrm.services.work import tasks

    rnd = random.Random(seed + 2)
    start = now()
    with db.read() as tx:
        company_of = {
            r["id"]: r["company_id"]
            for r in tx.all("SELECT id, company_id FROM contacts WHERE company_id IS NOT NULL ORDER BY id")
        }
    people = [c for c in contact_ids if c in company_of] or contact_ids
    made = 0
    for i in range(min(deals_n, len(people))):
        who = rnd.choice(people)
        fate = rnd.random()
        stays_open = fate >= 0.4
        # open deals are recent (some have stalled); closed ones spread over the year
        age = rnd.randint(3, 75) if stays_open else rnd.randint(30, 330)
        created = start - timedelta(days=age, hours=rnd.randint(0, 8))
        value = rnd.choice([800, 1500, 2400, 3200, 5000, 7500, 12000, 18000, 25000])
        shift = rnd.randint(-20, 150)
        # an open deal is expected to close around now; one that closed was expected to close a month or two
        # after it was created (so the backtest of crm report accuracy has forecasts to compare)
        close = (
            start + timedelta(days=shift) if stays_open else created + timedelta(days=30 + shift % 60)
        ).date()
        with clock.frozen(created):
            deal = deals.create(
                db,
                DealInput(
                    title=f"{rnd.choice(DEALS)} #{i + 1}",
                    value=str(value),
                    currency=rnd.choice(["EUR"] * 4 + ["USD"]),
                    contact_ids=[who],
                    company_id=company_of.get(who),
                    expected_close=close,
                    next_step=rnd.choice([None, "Send revised quote", "Schedule demo call"]),
                    next_step_due=None,
                ),
            )
        made += 1
        moment = created
        for _ in range(rnd.randint(0, 3)):
            moment += timedelta(days=rnd.randint(2, 12))
            if moment >= start:
                break
            with clock.frozen(moment):
                deal = deals.step(db, deal.id, 1)
        end = moment + timedelta(days=rnd.randint(2, 20))
        if not stays_open and end < start:
            with clock.frozen(end):
                if fate < 0.25:
                    deals.win(db, deal.id)
                else:
                    deals.lose(db, deal.id, rnd.choice(LOST_REASONS))
    made_tasks = 0
    for offset_days in (-6, -2, -1, 0, 0, 1, 2, 3, 5, 9, 14):
        who = rnd.choice(contact_ids)
        due = (start + timedelta(days=offset_days)).date().isoformat()
        tasks.create(
            db,
            TaskInput(
                title=rnd.choice(TASKS), due=due, contact_id=who, priority=rnd.choice([None, None, 1, 2])
            ),
        )
        made_tasks += 1
    tasks.create(db, TaskInput(title="Weekly pipeline review", due=start.date().isoformat(), repeat="weekly"))
    return {"deals": made, "tasks": made_tasks + 1}


TICKETS = [
    (
        "Cannot log in since the update",
        "urgent",
        "Since this morning the login page says my password is wrong.",
    ),
    ("Invoice 2041 shows the wrong address", "normal", "Our new address is on the attached letter."),
    ("How do I export my data?", "low", "Is there a way to get everything as CSV?"),
    ("The report page is very slow", "high", "It takes a minute to open the monthly report."),
    ("Please cancel the extra seat", "normal", "We only need four seats from next month."),
    ("Question about the training day", "low", "Can we move it to a Thursday?"),
]
LEADS = [
    ("Nora Webb", "Brightline Studio", "CEO", "referral", "12000"),
    ("Omar Haddad", "Kestrel Logistics", "Head of Operations", "event", "8000"),
    ("Priya Nair", None, "Freelance Designer", "web", None),
    ("Lukas Brandt", "Nordhafen GmbH", "CTO", "web", "20000"),
    ("Mei Tanaka", "Sakura Foods", "Marketing Lead", "import", "3500"),
    ("Samuel Okafor", "Greenfield Farms", "Owner", "referral", "6000"),
]


def populate_desk(db: Database, *, seed: int = 7) -> dict:
    """A few support tickets (new, open with a note, pending, resolved) for the first contacts and leads
    (new to qualified, one disqualified), through the services, so the app's Tickets and Leads screens have
    something to show (``crm demo``, after :func:`populate`)."""
    from tinycrm.domain import clock
    from tinycrm.domain.leads import LeadInput
    from tinycrm.services.leads import records
    from tinycrm.services.support import thread, tickets

    rnd = random.Random(seed + 3)
    start = now()
    with db.read() as tx:
        contact_ids = tx.column("SELECT id FROM contacts ORDER BY id LIMIT 100")
    if not contact_ids:
        return {}
    for i, (subject, priority, body) in enumerate(TICKETS):
        with clock.frozen(start - timedelta(hours=rnd.randint(1, 30))):
            t = tickets.create(
                db, subject_=subject, contact_id=rnd.choice(contact_ids), priority_=priority, body=body
            )
        if i % 3 == 1:
            thread.note(db, t.id, "Checked the account: looks like the old address is still on file.")
            tickets.set_status(db, t.id, "open")
        elif i == 2:
            tickets.set_status(db, t.id, "pending")
        elif i == 5:
            tickets.set_status(db, t.id, "resolved")
    for i, (name, company, title, source, value) in enumerate(LEADS):
        email = f"{_ascii(name.split()[0]).lower()}@{_ascii(company or 'example').split()[0].lower()}.com"
        with clock.frozen(start - timedelta(days=rnd.randint(0, 9), hours=rnd.randint(0, 8))):
            lead = records.create(
                db,
                LeadInput(
                    name=name, email=email, company=company, title=title, source=source, value=value,
                    currency="EUR" if value else None,
                ),
            )  # fmt: skip
        if i in (1, 3):
            records.log(db, lead.id, kind="meeting", summary="Met at the stand, wants a demo")
            records.set_status(db, lead.id, "qualified" if i == 3 else "contacted")
        elif i == 4:
            records.set_status(db, lead.id, "disqualified", reason="no budget this year")
    return {"tickets": len(TICKETS), "leads": len(LEADS)}
