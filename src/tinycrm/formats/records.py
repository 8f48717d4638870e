"""What the interchange formats read and write: plain dataclasses shared by vCard, CSV and the services.

A reader yields :class:`Parsed` items, one per record of the file: either a :class:`ContactRecord` or the
reason the record could not be read, so one broken card never stops the rest. Writers take
:class:`ContactData`, a contact with everything an export carries (photo and kept vCard properties included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tinycrm.domain.people import Address, ContactInput, Labeled


@dataclass(frozen=True, slots=True)
class Extra:
    """A vCard property tinycrm has no column for, kept verbatim so an export gives it back.

    ``name`` may carry a group (``item2.URL``); ``params`` is in vCard 3.0/4.0 syntax (``TYPE=work;PREF=1``)
    or None; ``value`` is the value as it is written in a vCard (escaped text, or base64 for binary data)."""

    name: str
    params: str | None
    value: str


@dataclass(frozen=True, slots=True)
class Photo:
    media_type: str
    data: bytes


@dataclass
class ContactRecord:
    """One contact read from a file, ready for the contacts service."""

    contact: ContactInput
    extras: list[Extra] = field(default_factory=list)
    photo: Photo | None = None
    #: things that were read but could not be used as given (a bad phone number kept verbatim...)
    warnings: list[str] = field(default_factory=list)
    #: the record was written by tinycrm: it is authoritative for custom fields, cadence and the archive flag
    from_tinycrm: bool = False


@dataclass(frozen=True, slots=True)
class Parsed:
    """A record of a file, or why it could not be read. ``index`` counts records from 1; ``line`` is where
    the record starts in the file (1-based), when known."""

    source: str
    index: int
    line: int | None
    record: ContactRecord | None = None
    error: str | None = None

    @property
    def where(self) -> str:
        at = f" (line {self.line})" if self.line else ""
        return f"{self.source}: record {self.index}{at}"


@dataclass
class ContactData:
    """A stored contact with everything an export writes."""

    uid: str
    display_name: str
    given_name: str | None = None
    family_name: str | None = None
    job_title: str | None = None
    company: str | None = None
    company_role: str | None = None
    birthday: str | None = None
    notes: str | None = None
    cadence_days: int | None = None
    archived: bool = False
    emails: list[Labeled] = field(default_factory=list)
    phones: list[Labeled] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    extras: list[Extra] = field(default_factory=list)
    photo: Photo | None = None
    updated_at: datetime | None = None
    #: the stored record's id and version (set when read from the database)
    id: int | None = None
    version: int | None = None
