"""Export the contacts a list shows (``x`` on Contacts): pick a format, and the file is written by the export
service. In a terminal it lands in the downloads folder under a name no other file has; in a browser (``crm
serve``'s ``/tui``) the browser downloads it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.domain.errors import CrmError
from tinycrm.tui.format import count, escape

if TYPE_CHECKING:
    from tinycrm.tui.screens.contacts import ContactsScreen
    from tinycrm.tui.screens.picker import Choice

#: what the picker offers: (label, detail, (format, variant))
FORMATS: list[Choice] = [
    ("vCard 3.0", ".vcf, read by most address books", ("vcard", "3.0")),
    ("vCard 4.0", ".vcf, for newer address books", ("vcard", "4.0")),
    ("CSV", ".csv, tinycrm's columns: imports back as it was", ("csv", "generic")),
    ("Google CSV", ".csv, Google Contacts' columns", ("csv", "google")),
]
MIME = {"vcard": "text/vcard", "csv": "text/csv"}
SUFFIX = {"vcard": ".vcf", "csv": ".csv"}


def export_shown(screen: ContactsScreen) -> None:
    """Ask for a format, then export what ``screen`` lists: its search, segment, tag, company and archived
    filters (by name, whatever the list's order)."""
    from tinycrm.services.interchange.exporting import Chosen
    from tinycrm.tui.screens.picker import Picker

    request = screen.request
    query = request.query.strip()
    if request.segment and screen.segment_query is not None:
        query = f"{screen.segment_query} {query}".strip()
    chosen = Chosen(query=query, company=request.company, archived=None if request.archived else False)
    page = screen.shown
    if page is None or page.total == 0:
        screen.notify("There are no contacts to export here.", title="Export", timeout=4)
        return
    many = count(page.total, "contact")
    title = f"Export the {'about ' if page.estimate else ''}{many} shown as"

    def picked(fmt: Any) -> None:
        if fmt is not None:
            screen.run_worker(lambda: _export(screen, chosen, request.tag, fmt), thread=True, group="export")

    screen.app.push_screen(Picker(title, lambda db: FORMATS, hint="enter exports · esc cancels"), picked)


def downloads() -> Path:
    """Where a file exported in a terminal goes: the downloads folder (``XDG_DOWNLOAD_DIR``, ``~/Downloads``),
    or the home folder when there is none."""
    from platformdirs import user_downloads_path

    folder = user_downloads_path()
    return folder if folder.is_dir() else Path.home()


def _export(screen: ContactsScreen, chosen: Any, tag: str | None, fmt: tuple[str, str]) -> None:
    """In the worker: write the file through the export service, then hand it over (a thread, not the UI's)."""
    from tinycrm.services.interchange import exporting
    from tinycrm.services.interchange.files import free_path

    kind, variant = fmt
    app = screen.app
    from tinycrm.domain.clock import local_now

    name = f"contacts-{local_now():%Y-%m-%d}{SUFFIX[kind]}"

    def write(target: Path) -> int:
        if kind == "vcard":
            report = screen.service(exporting.export_vcards, target, version=variant, tag=tag, chosen=chosen)
        else:
            report = screen.service(exporting.export_csv, target, preset=variant, tag=tag, chosen=chosen)
        return int(report.written)

    try:
        if app.is_web:
            # written privately, then streamed to the browser: the open file outlives its name
            with tempfile.TemporaryDirectory(prefix="tinycrm-export-") as folder:
                path = Path(folder) / name
                written = write(path)
                handle = path.open(encoding="utf-8", newline="")
                os.unlink(path)
            app.call_from_thread(
                app.deliver_text, handle, save_filename=name, mime_type=MIME[kind], encoding="utf-8"
            )
            told = f"Sent {count(written, 'contact')} to the browser as {name}"
        else:
            path = free_path(downloads(), name.removesuffix(SUFFIX[kind]), SUFFIX[kind].lstrip("."))
            written = write(path)
            shown = (
                str(path).replace(str(Path.home()), "~", 1) if path.is_relative_to(Path.home()) else str(path)
            )
            told = f"Exported {count(written, 'contact')} to {escape(shown)}"
    except (CrmError, OSError) as exc:
        message = exc.message if isinstance(exc, CrmError) else f"could not write the file: {exc}"
        app.call_from_thread(app.notify, escape(message), title="Export", severity="error", timeout=8)
        return
    app.call_from_thread(app.notify, told, title="Export", timeout=8)
