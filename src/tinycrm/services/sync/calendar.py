"""Tasks both ways with a folder of iCalendar files (``crm sync vdir DIR --calendar``, and the task list of
``crm dav serve``): one ``.ics`` per task, a VTODO with the UID of ``crm export ical``.

Read back from a file changed outside (a phone, a calendar program): done or not done, the title and the due
day or time (not of a repeating task: its series is tinycrm's). A new VTODO becomes a task; a deleted file marks
its task done (a phone deletes what is finished). A task changed in tinycrm has its file written again; a task
deleted in tinycrm loses its file. When both sides changed, the file's changes are applied field by field and
the file is written again from the result. Files are written and recorded as in :mod:`.vdir` (file first,
then the state, in one transaction per task), so a stopped run is finished by the next.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.tasks import CalendarData, TaskInput, TaskRead
from tinycrm.services.sync import files as folder_files
from tinycrm.services.sync.cards import digest
from tinycrm.services.sync.state import Item
from tinycrm.store.database import Database, Tx

SUFFIX = ".ics"
MAX_BYTES = 1024 * 1024
#: the files of dates (birthdays, expected deal closes): written from tinycrm only, never read back
EVENT_PREFIX = "tinycrm-date-"
#: the DTSTAMP of a birthday, which has no time of change of its own (a fixed one keeps its file unchanged)
BIRTHDAY_STAMP = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    file: str
    message: str


@dataclass
class TaskSyncReport:
    folder: str
    actions: list[tuple[str, str, int | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions if a[1] == action)

    def summary(self) -> str:
        words = (
            ("write", "task files written"),
            ("update", "tasks updated"),
            ("create", "tasks created"),
            ("done", "tasks done"),
            ("remove", "task files removed"),
        )
        parts = [f"{self.count(a)} {w}" for a, w in words if self.count(a)]
        parts.append(f"{self.unchanged} unchanged")
        if self.problems:
            parts.append(f"{len(self.problems)} failed")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "unchanged": self.unchanged,
            "actions": [{"file": f, "action": a, "task_id": t} for f, a, t in self.actions],
            "problems": [vars(p) for p in self.problems],
        }


@dataclass(frozen=True)
class Todo:
    """What a VTODO file says, in tinycrm's terms."""

    uid: str
    title: str
    done: bool
    due: date | datetime | None


def file_name(task_uid: str) -> str:
    from tinycrm.services.interchange.exporting import vdir_name

    return vdir_name(task_uid).removesuffix(".vcf") + SUFFIX


def render(t: TaskRead, tz_name: str | None) -> bytes:
    from tinycrm.formats.ical import to_ical

    data = CalendarData(tasks=[t], birthdays=[], deals=[], generated_at=t.updated_at, tz_name=tz_name)
    return to_ical(data, name="tinycrm tasks").encode("utf-8")


def read_todo(data: bytes) -> Todo:
    """The one VTODO of a file; :class:`InvalidInput` (one line) for anything else."""
    import vobject

    if len(data) > MAX_BYTES:
        raise InvalidInput("larger than 1 MB; not a task")
    try:
        cal = vobject.readOne(data.decode("utf-8", "replace"))
    except Exception as exc:  # noqa: BLE001 - vobject raises many kinds for broken text
        raise InvalidInput(
            f"not iCalendar: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    todos = list(getattr(cal, "vtodo_list", []))
    if len(todos) != 1:
        raise InvalidInput(f"holds {len(todos)} tasks (VTODO); a synced task file holds one")
    todo = todos[0]
    uid = str(getattr(todo, "uid", None) and todo.uid.value or "").strip()
    if not uid:
        raise InvalidInput("the task has no UID; give it one and sync again")
    title = str(getattr(todo, "summary", None) and todo.summary.value or "").strip()
    if not title:
        raise InvalidInput("the task has no SUMMARY (title)")
    status = str(getattr(todo, "status", None) and todo.status.value or "").upper()
    done = status == "COMPLETED" or hasattr(todo, "completed")
    due = todo.due.value if hasattr(todo, "due") else None
    return Todo(uid, title, done, due)


def _event_name(uid: str) -> str:
    from tinycrm.services.interchange.exporting import vdir_name

    return EVENT_PREFIX + vdir_name(uid.removesuffix("@tinycrm")).removesuffix(".vcf") + SUFFIX


def task_uid_of(ical_uid: str) -> str:
    """tinycrm's task UID from the iCalendar one (``task-UID@tinycrm``), or the UID as it is."""
    if ical_uid.startswith("task-") and ical_uid.endswith("@tinycrm"):
        return ical_uid[len("task-") : -len("@tinycrm")]
    return ical_uid


def _changes(t: TaskRead, todo: Todo) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if todo.title != t.title:
        changes["title"] = todo.title
    if not t.rrule:
        if isinstance(todo.due, datetime):
            due: date | datetime | None = todo.due if todo.due.tzinfo else todo.due.replace(tzinfo=None)
            same = t.due_at is not None and not t.all_day and due == t.due_at
        else:
            due = todo.due
            same = (due is None and t.due_at is None) or (t.all_day and due == t.due_date)
        if not same:
            changes["due"] = due
    if todo.done != (t.done_at is not None):
        changes["done"] = todo.done
    return changes


class _TaskRun:
    def __init__(self, db: Database, folder: Path) -> None:
        from zoneinfo import ZoneInfo

        from tinycrm.domain import clock
        from tinycrm.services.sync import state

        self.db, self.folder = db, folder
        self.report = TaskSyncReport(str(folder))
        zone = clock.local_tz()
        self.tz_name = zone.key if isinstance(zone, ZoneInfo) else None
        with db.read() as tx:
            fid = state.folder_id(tx, folder)
        if fid is None:
            with db.write() as tx:
                fid = state.add_folder(tx, folder, kind="calendar")
        self.fid: int = fid
        with db.read() as tx:
            self.items = state.items(tx, fid, record_type="task")
            tracked = [i.record_id for i in self.items.values()]
            self.tasks = {t.id: t for t in _tasks(tx, tracked)}

    def act(self, name: str, action: str, tid: int | None) -> None:
        self.report.actions.append((name, action, tid))

    def write(self, name: str, t: TaskRead, action: str) -> None:
        from tinycrm.services.sync import state

        data = render(t, self.tz_name)
        path = self.folder / name
        if path.exists() and path.read_bytes() == data and name in self.items:
            st = path.stat()
        else:
            st = folder_files.put(self.folder, name, data)
            self.act(name, action, t.id)
        with self.db.write() as tx:
            state.save(tx, self.fid, name, t.id, t.uid, digest(data), st, t.version, record_type="task")

    def apply(self, tid: int, todo: Todo) -> TaskRead | None:
        from tinycrm.services.work import tasks

        t = tasks.get(self.db, tid)
        changes = _changes(t, todo)
        if not changes:
            return t
        done = changes.pop("done", None)
        if changes:
            t = tasks.update(self.db, tid, changes)
        if done is True:
            t = tasks.complete(self.db, tid)[0]
        elif done is False:
            t = tasks.update(self.db, tid, {"done": False})
        return t

    def run(self) -> TaskSyncReport:
        from tinycrm.services.sync import state
        from tinycrm.services.work import tasks

        on_disk = {
            e.name: e
            for e in os.scandir(self.folder)
            if e.name.endswith(SUFFIX)
            and not e.name.startswith((".", EVENT_PREFIX))
            and e.is_file(follow_symlinks=False)
        }
        for name, item in sorted(self.items.items()):
            try:
                self.tracked(name, item, on_disk.get(name))
            except InvalidInput as exc:
                self.report.problems.append(Problem(name, str(exc)))
        for name in sorted(set(on_disk) - set(self.items)):
            try:
                data = Path(on_disk[name].path).read_bytes()
                todo = read_todo(data)
                with self.db.read() as tx:
                    found = tx.scalar("SELECT id FROM tasks WHERE uid = :u", {"u": task_uid_of(todo.uid)})
                if found is None:
                    t = tasks.create(
                        self.db, TaskInput(title=todo.title, due=todo.due, uid=task_uid_of(todo.uid))
                    )
                    if todo.done:
                        t = tasks.complete(self.db, t.id)[0]
                    self.act(name, "create", t.id)
                else:
                    t = self.apply(int(found), todo) or tasks.get(self.db, int(found))
                    self.act(name, "update", t.id)
                st = os.stat(self.folder / name)
                with self.db.write() as tx:
                    state.save(
                        tx, self.fid, name, t.id, t.uid, digest(data), st, t.version, record_type="task"
                    )
                self.items[name] = Item(t.id, t.uid, digest(data), st.st_mtime_ns, st.st_size, t.version)
            except InvalidInput as exc:
                self.report.problems.append(Problem(name, str(exc)))
        tracked = {i.record_id for i in self.items.values()}
        for t in tasks.list_tasks(self.db, status="open", limit=None).items:
            if t.id not in tracked:
                self.write(file_name(t.uid), t, "write")
        self.dates()
        return self.report

    def dates(self) -> None:
        """Birthdays and expected deal closes as all-day events, one file each, written only when they
        changed; the files of dates that are gone are removed."""
        from tinycrm.formats.ical import birthday_uid, deal_uid, to_ical
        from tinycrm.services.work.agenda import calendar_data

        feed = calendar_data(self.db)
        wanted: dict[str, bytes] = {}
        for b in feed.birthdays:
            one = CalendarData(tasks=[], birthdays=[b], deals=[], generated_at=BIRTHDAY_STAMP)
            wanted[_event_name(birthday_uid(b))] = to_ical(one, name="tinycrm").encode("utf-8")
        for d in feed.deals:
            one = CalendarData(tasks=[], birthdays=[], deals=[d], generated_at=d.updated_at or BIRTHDAY_STAMP)
            wanted[_event_name(deal_uid(d))] = to_ical(one, name="tinycrm").encode("utf-8")
        for entry in os.scandir(self.folder):
            if entry.name.startswith(EVENT_PREFIX) and entry.name not in wanted:
                os.unlink(entry.path)
                self.act(entry.name, "date-removed", None)
        for name, data in sorted(wanted.items()):
            path = self.folder / name
            try:
                same = path.read_bytes() == data
            except FileNotFoundError:
                same = False
            if not same:
                folder_files.put(self.folder, name, data)
                self.act(name, "date", None)

    def tracked(self, name: str, item: Item, entry: os.DirEntry[str] | None) -> None:
        from tinycrm.services.sync import state
        from tinycrm.services.work import tasks

        t = self.tasks.get(item.record_id)
        if t is None:  # deleted in tinycrm
            if entry is not None:
                os.unlink(entry.path)
                self.act(name, "remove", item.record_id)
            with self.db.write() as tx:
                state.forget(tx, self.fid, name)
            return
        if entry is None:  # deleted outside: done
            if t.done_at is None:
                tasks.complete(self.db, t.id)
                self.act(name, "done", t.id)
            with self.db.write() as tx:
                state.forget(tx, self.fid, name)
            return
        st = entry.stat(follow_symlinks=False)
        file_changed = False
        if (st.st_mtime_ns, st.st_size) != (item.mtime_ns, item.size):
            data = Path(entry.path).read_bytes()
            file_changed = digest(data) != item.etag
        if file_changed:
            t = self.apply(t.id, read_todo(data)) or t
            self.act(name, "update", t.id)
            self.write(name, tasks.get(self.db, t.id), "write")
        elif t.version != item.record_version:
            self.write(name, t, "write")
        else:
            self.report.unchanged += 1


def _tasks(tx: Tx, ids: list[int]) -> list[TaskRead]:
    from tinycrm.services.work import tasks

    return [tasks.read_in(tx, i) for i in ids if tx.scalar("SELECT 1 FROM tasks WHERE id = :i", {"i": i})]


def sync_tasks(db: Database, folder: str | Path) -> TaskSyncReport:
    """Sync the tasks with the folder of ``.ics`` files both ways (see the module's notes)."""
    from tinycrm import paths

    path = Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"{path} is a file; a task folder is a folder")
    paths.private_dir(path, tighten=False)
    path = path.resolve()
    with folder_files.locked(path):
        return _TaskRun(db, path).run()
