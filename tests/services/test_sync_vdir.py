"""Two-way vdir sync through the service, on SQLite and PostgreSQL: each row of the table in
services/sync/vdir.py, idempotence, conflicts and their resolution, and bad files reported one by one."""

import os
import stat

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts, interactions
from tinycrm.services.sync import conflicts
from tinycrm.services.sync.vdir import sync_vdir

CRLF = "\r\n"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-06-01T09:00:00+00:00")
    monkeypatch.setenv("TZ", "UTC")


def card(*lines: str) -> bytes:
    return CRLF.join(["BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD", ""]).encode()


def add(db, name: str, email: str, **more) -> int:
    return contacts.create(db, ContactInput(display_name=name, emails=[Labeled(email)], **more)).id


def files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.vcf"))}


def file_of(folder, text: str):
    found = [p for p in folder.glob("*.vcf") if text.encode() in p.read_bytes()]
    assert len(found) == 1, found
    return found[0]


def mtimes(folder) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.vcf")}


def edit_file(path, old: str, new: str) -> None:
    data = path.read_bytes()
    assert old.encode() in data
    path.write_bytes(data.replace(old.encode(), new.encode()))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a phone's edit, a second later


@pytest.fixture
def synced(db, tmp_path):
    """Two contacts (Ada with an interaction and a custom field), synced once to a folder."""
    ada = add(db, "Ada Lovelace", "ada@example.com", fields={"shoe": "38"})
    bob = add(db, "Bob Byte", "bob@example.com")
    interactions.log(db, contact_ids=[ada], kind_="call", summary="about engines")
    folder = tmp_path / "cards"
    report = sync_vdir(db, folder)
    assert report.count("write") == 2 and not report.problems
    return folder, ada, bob


def test_first_run_writes_one_file_per_contact_and_a_second_changes_nothing(db, synced):
    folder, ada, bob = synced
    before, times = files(folder), mtimes(folder)
    versions = {c: contacts.get(db, c).version for c in (ada, bob)}
    report = sync_vdir(db, folder)
    assert report.actions == [] and report.unchanged == 2
    assert files(folder) == before and mtimes(folder) == times
    assert {c: contacts.get(db, c).version for c in (ada, bob)} == versions
    assert len(before) == 2 and all(b"BEGIN:VCARD" in data for data in before.values())
    assert os.stat(folder).st_mode & 0o077 == 0


def test_a_file_changed_outside_updates_the_contact_and_keeps_what_cards_cannot_carry(db, synced):
    folder, ada, _ = synced
    edit_file(file_of(folder, "Ada"), "FN:Ada Lovelace", "FN:Ada King")
    report = sync_vdir(db, folder)
    assert [a.action for a in report.actions] == ["update"]
    got = contacts.get(db, ada)
    assert got.display_name == "Ada King"
    assert got.fields == {"shoe": "38"}
    assert [i.summary for i in interactions.timeline(db, ada).items] == ["about engines"]
    assert sync_vdir(db, folder).actions == []  # agreed: nothing more to do


def test_a_phone_removing_an_email_removes_it(db, synced):
    folder, ada, _ = synced
    contacts.update(db, ada, {"emails": [Labeled("ada@example.com"), Labeled("ada@work.example")]})
    sync_vdir(db, folder)
    path = file_of(folder, "Ada")
    data = path.read_bytes().decode()
    kept = "".join(line + CRLF for line in data.split(CRLF) if line and "ada@work.example" not in line)
    path.write_text(kept, newline="")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))
    sync_vdir(db, folder)
    assert [e.value for e in contacts.get(db, ada).emails] == ["ada@example.com"]


def test_a_contact_changed_in_tinycrm_rewrites_its_file_only(db, synced):
    folder, _, bob = synced
    times = mtimes(folder)
    contacts.update(db, bob, {"job_title": "Engineer"})
    report = sync_vdir(db, folder)
    assert [a.action for a in report.actions] == ["write"]
    path = file_of(folder, "Bob")
    assert b"TITLE:Engineer" in path.read_bytes()
    changed = {n for n, t in mtimes(folder).items() if times[n] != t}
    assert changed == {path.name}
    assert not list(folder.glob("*tmp*"))  # written through a temporary file, none left


def test_both_changed_is_a_conflict_that_overwrites_neither_until_resolved(db, synced):
    folder, _, bob = synced
    path = file_of(folder, "Bob")
    contacts.update(db, bob, {"job_title": "Chief"})
    edit_file(path, "FN:Bob Byte", "FN:Robert Byte")
    on_disk = path.read_bytes()
    report = sync_vdir(db, folder)
    assert [(a.action, a.contact_id) for a in report.conflicts] == [("conflict", bob)]
    assert path.read_bytes() == on_disk
    assert contacts.get(db, bob).display_name == "Bob Byte"
    assert [c.contact_id for c in conflicts.list_conflicts(db)] == [bob]
    again = sync_vdir(db, folder)  # still a conflict, still nothing overwritten, nothing stored twice
    assert [a.action for a in again.actions] == ["conflict"] and len(conflicts.list_conflicts(db)) == 1

    assert conflicts.resolve(db, bob, "file") == 1
    got = contacts.get(db, bob)
    assert got.display_name == "Robert Byte"
    assert sync_vdir(db, folder).actions == [] and conflicts.list_conflicts(db) == []


def test_resolving_for_tinycrm_writes_the_contact_over_the_card(db, synced):
    folder, _, bob = synced
    path = file_of(folder, "Bob")
    contacts.update(db, bob, {"job_title": "Chief"})
    edit_file(path, "FN:Bob Byte", "FN:Robert Byte")
    sync_vdir(db, folder)
    conflicts.resolve(db, bob, "crm")
    report = sync_vdir(db, folder)
    assert [a.action for a in report.actions] == ["write"]
    assert b"FN:Bob Byte" in path.read_bytes() and b"TITLE:Chief" in path.read_bytes()
    assert sync_vdir(db, folder).actions == []


@pytest.mark.parametrize("prefer, name", [("crm", "Bob Byte"), ("file", "Robert Byte")])
def test_prefer_settles_conflicts_automatically(db, synced, prefer, name):
    folder, _, bob = synced
    path = file_of(folder, "Bob")
    contacts.update(db, bob, {"job_title": "Chief"})
    edit_file(path, "FN:Bob Byte", "FN:Robert Byte")
    report = sync_vdir(db, folder, prefer=prefer)
    assert not report.conflicts
    assert contacts.get(db, bob).display_name == name
    assert f"FN:{name}".encode() in path.read_bytes()
    assert sync_vdir(db, folder).actions == []


def test_a_new_file_becomes_one_contact_and_a_second_card_of_someone_is_refused(db, synced):
    folder, ada, _ = synced
    (folder / "cy.vcf").write_bytes(card("UID:phone-cy", "FN:Cy Phone", "EMAIL:cy@example.com"))
    (folder / "ada-phone.vcf").write_bytes(card("UID:phone-ada", "FN:Ada L.", "EMAIL:ada@example.com"))
    report = sync_vdir(db, folder)
    assert [a.action for a in report.actions] == ["create"]
    assert [(p.file, "same contact" in p.message) for p in report.problems] == [("ada-phone.vcf", True)]
    page = contacts.list_contacts(db, limit=50)
    assert sorted(c.display_name for c in page.items) == ["Ada Lovelace", "Bob Byte", "Cy Phone"]
    again = sync_vdir(db, folder)
    assert again.actions == [] and len(again.problems) == 1
    assert contacts.list_contacts(db, limit=50).total == 3


def test_a_card_of_a_known_person_not_in_the_folder_merges_into_them(db, tmp_path):
    ada = add(db, "Ada Lovelace", "ada@example.com")
    folder = tmp_path / "phone"
    sync_vdir(db, folder, tag="phone")
    assert files(folder) == {}
    (folder / "ada.vcf").write_bytes(
        card("UID:phone-ada", "FN:Ada Lovelace", "EMAIL:ada@example.com", "TEL:+44 20 7946 0000")
    )
    report = sync_vdir(db, folder, tag="phone")
    assert sorted(a.action for a in report.actions) == ["update", "write"], report.actions
    got = contacts.get(db, ada)
    assert [p.value for p in got.phones] == ["+44 20 7946 0000"] and "phone" in got.tags
    assert contacts.list_contacts(db, limit=50).total == 1
    assert sync_vdir(db, folder, tag="phone").actions == []


def test_a_deleted_file_archives_its_contact_and_a_deleted_contact_removes_its_file(db, synced):
    folder, ada, bob = synced
    file_of(folder, "Ada").unlink()
    bob_file = file_of(folder, "Bob")
    contacts.delete(db, bob)
    report = sync_vdir(db, folder)
    assert sorted((a.action, a.contact_id) for a in report.actions) == [("archive", ada), ("remove", bob)]
    assert contacts.get(db, ada).archived
    assert not bob_file.exists() and files(folder) == {}
    assert sync_vdir(db, folder).actions == []


def test_an_archived_contact_leaves_the_folder_and_comes_back_with_its_card(db, synced):
    folder, ada, _ = synced
    contacts.archive(db, ada)
    assert [a.action for a in sync_vdir(db, folder).actions] == ["remove"]
    (folder / "back.vcf").write_bytes(card("UID:other", "FN:Ada Lovelace", "EMAIL:ada@example.com"))
    sync_vdir(db, folder)
    assert not contacts.get(db, ada).archived


def test_a_deleted_file_of_a_contact_changed_since_is_written_again(db, synced):
    folder, ada, _ = synced
    path = file_of(folder, "Ada")
    path.unlink()
    contacts.update(db, ada, {"job_title": "Analyst"})
    report = sync_vdir(db, folder)
    assert [a.action for a in report.actions] == ["restore"]
    assert b"TITLE:Analyst" in path.read_bytes() and not contacts.get(db, ada).archived


def test_a_tag_limits_the_folder_and_new_cards_get_it(db, tmp_path):
    ada = add(db, "Ada Lovelace", "ada@example.com", tags=["phone"])
    add(db, "Bob Byte", "bob@example.com")
    folder = tmp_path / "phone"
    sync_vdir(db, folder, tag="phone")
    assert len(files(folder)) == 1 and b"Ada" in next(iter(files(folder).values()))
    (folder / "cy.vcf").write_bytes(card("UID:cy", "FN:Cy Phone"))
    sync_vdir(db, folder, tag="phone")
    cy = [c for c in contacts.list_contacts(db, limit=10).items if c.display_name == "Cy Phone"][0]
    assert "phone" in contacts.get(db, cy.id).tags
    contacts.update(db, ada, {"tags": []})
    assert [a.action for a in sync_vdir(db, folder, tag="phone").actions] == ["remove"]
    assert sync_vdir(db, folder, tag="phone").actions == []


def test_bad_files_are_reported_one_by_one_and_the_rest_synced(db, synced):
    folder, _, _ = synced
    (folder / "no-uid.vcf").write_bytes(card("FN:No Uid"))
    (folder / "nameless.vcf").write_bytes(card("UID:nameless"))
    (folder / "text.vcf").write_bytes(b"just some notes\n")
    (folder / "two.vcf").write_bytes(card("UID:t1", "FN:One") + card("UID:t2", "FN:Two"))
    (folder / "huge.vcf").write_bytes(
        card("UID:huge", "FN:Huge", "PHOTO;ENCODING=b:" + "A" * (20 * 1024 * 1024))
    )
    (folder / "dots-a.vcf").write_bytes(card("UID:../../etc/passwd", "FN:Dotty"))
    (folder / "dots-b.vcf").write_bytes(card("UID:../../etc/passwd", "FN:Dotty Twin"))
    report = sync_vdir(db, folder)
    failed = {p.file for p in report.problems}
    assert failed == {"no-uid.vcf", "nameless.vcf", "text.vcf", "two.vcf", "huge.vcf", "dots-b.vcf"}
    assert all("\n" not in p.message for p in report.problems)
    names = sorted(c.display_name for c in contacts.list_contacts(db, limit=50).items)
    assert names == ["Ada Lovelace", "Bob Byte", "Dotty"]
    assert not (folder.parent / "etc").exists() and not list(folder.parent.glob("*.vcf"))  # nothing outside
    assert (folder / "text.vcf").read_bytes() == b"just some notes\n"  # never written over


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_folder_that_cannot_be_written_reports_each_file(db, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    add(db, "Ada Lovelace", "ada@example.com")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        report = sync_vdir(db, folder)
    finally:
        folder.chmod(0o700)
    assert len(report.problems) == 1 and "cannot be written" in report.problems[0].message


def test_a_dry_run_changes_nothing(db, synced):
    folder, ada, _ = synced
    edit_file(file_of(folder, "Ada"), "FN:Ada Lovelace", "FN:Ada King")
    on_disk = files(folder)
    report = sync_vdir(db, folder, dry_run=True)
    assert [(a.action, a.contact_id) for a in report.actions] == [("update", ada)]
    assert contacts.get(db, ada).display_name == "Ada Lovelace" and files(folder) == on_disk
