"""``[sync]``: two-way vdir sync (docs/sync.md)."""

from dataclasses import dataclass

from tinycrm.config.base import Section, setting
from tinycrm.config.sections import choice


@dataclass(frozen=True)
class Sync(Section):
    """Two-way sync with folders of vCards (crm sync vdir) and crm dav serve."""

    #: what a card deleted in a synced folder does to its contact: archive (the default; nothing is lost) or
    #: delete
    on_file_deleted: str = setting("archive", check=choice(("archive", "delete")))
