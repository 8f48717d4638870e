"""The names :mod:`tinycrm.services.people.duplicates` reads from here: the bulk contact reader and the name
of the kept property for merged UIDs. Imports live in :mod:`.importing`, exports in :mod:`.exporting`, files
in :mod:`.files`, and the reader itself in :mod:`.contactdata`."""

from __future__ import annotations

from tinycrm.services.interchange.contactdata import MERGED_UID, load_contacts

__all__ = ["MERGED_UID", "load_contacts"]
