"""Read models and inputs of tasks, follow-ups, stay-in-touch, the agenda and reminders.

Plain frozen dataclasses like :mod:`tinycrm.domain.people` (``schemas.to_json`` turns them into ``--json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from tinycrm.domain.people import Ref

#: what ``--priority`` accepts, and the number stored
PRIORITIES = {"none": 0, "low": 1, "normal": 2, "medium": 2, "high": 3}
PRIORITY_NAMES = {0: "", 1: "low", 2: "normal", 3: "high"}


@dataclass
class TaskInput:
    """A new task. ``due`` takes natural language ("tomorrow 9am", "next monday"; a day without a time is an
    all-day task); ``repeat`` a phrase ("every 2 weeks", "every weekday") or an RFC 5545 RRULE."""

    title: str
    due: str | datetime | date | None = None
    repeat: str | None = None
    priority: int | str | None = None
    notes: str | None = None
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    #: user names; the owner defaults to the person acting
    owner: str | None = None
    assignee: str | None = None
    uid: str | None = None


@dataclass(frozen=True, slots=True)
class TaskRead:
    id: int
    uid: str
    title: str
    #: the due moment (UTC); for an all-day task, local midnight of ``due_date``
    due_at: datetime | None
    #: the due day in local time
    due_date: date | None
    all_day: bool
    #: RFC 5545 RRULE (without ``RRULE:``), and how people read it
    rrule: str | None
    repeat: str | None
    priority: int
    notes: str | None
    contact: Ref | None
    company: Ref | None
    deal: Ref | None
    done_at: datetime | None
    snoozed_until: datetime | None
    owner: str | None
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    #: open, snoozed or done (as of when it was read)
    status: str = "open"

    @property
    def when(self) -> datetime | date | None:
        """The due day (all-day task) or moment (timed task)."""
        return self.due_date if self.all_day else self.due_at

    @property
    def belongs_to(self) -> str | None:
        """Whose task it is: the assignee if there is one, else the owner."""
        return self.assignee or self.owner


@dataclass(frozen=True, slots=True)
class StaleContact:
    """A contact whose stay-in-touch cadence has run out."""

    id: int
    display_name: str
    cadence_days: int
    #: the latest interaction (``None``: none yet, counted from ``created_at``)
    last_interaction_at: datetime | None
    days_overdue: int
    #: the local day the contact became due
    due_date: date | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One line of the agenda or of a reminder digest."""

    #: task, stale, birthday, deal, lead or ticket
    kind: str
    title: str
    when: datetime | date | None
    contact_id: int | None = None
    task_id: int | None = None
    deal_id: int | None = None
    detail: str | None = None
    #: overdue, today or upcoming
    section: str = "today"
    #: stable identity of the item ("task:12", "birthday:5:2026") and a fingerprint of its state
    key: str = ""
    state: str = ""
    #: the user the item belongs to (task assignee or owner, contact or deal owner)
    owner: str | None = None

    @property
    def ref(self) -> str:
        """The record the item is about, as commands name it: ``task 12``, ``deal 3``, ``contact 5``."""
        if self.kind == "task":
            return f"task {self.task_id}"
        if self.kind == "deal":
            return f"deal {self.deal_id}"
        if self.kind == "lead":
            return self.key.replace(":", " ")
        if self.kind == "ticket":
            return f"ticket {self.key.partition(':')[2]}"
        return f"contact {self.contact_id}"


@dataclass(frozen=True, slots=True)
class Agenda:
    overdue: list[AgendaItem]
    today: list[AgendaItem]
    upcoming: list[AgendaItem]
    #: the local day the agenda is for, and how many days ahead it looks
    day: date | None = None
    days: int = 7
    #: remarks about parts that could not be included
    notes: list[str] = field(default_factory=list)
    #: how many items each section holds (``overdue``, ``today``, ``upcoming``): more than it lists when the
    #: agenda was asked for a page of each
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def items(self) -> list[AgendaItem]:
        return [*self.overdue, *self.today, *self.upcoming]


@dataclass(frozen=True, slots=True)
class AgendaGroup:
    """One group of the app's agenda (overdue tasks, idle deals, stale contacts, dates): the first items and
    how many the group holds in all."""

    #: overdue_tasks, idle_deals, stale or dates
    key: str
    title: str
    items: list[AgendaItem]
    total: int


@dataclass(frozen=True, slots=True)
class BirthdayEntry:
    """A contact's birthday, for the calendar feed."""

    contact_id: int
    contact_uid: str
    display_name: str
    #: ``YYYY-MM-DD`` or ``--MM-DD``
    birthday: str


@dataclass(frozen=True, slots=True)
class DealDate:
    """A deal's expected close, for the calendar feed."""

    id: int
    uid: str
    title: str
    expected_close: date
    status: str
    updated_at: datetime | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class CalendarData:
    tasks: list[TaskRead]
    birthdays: list[BirthdayEntry]
    deals: list[DealDate]
    generated_at: datetime
    #: the IANA zone name of local time, when known (recurring timed tasks keep their local time with it)
    tz_name: str | None = None
