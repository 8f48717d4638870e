"""A contact's file in a vdir is its own for life: UIDs that look alike (``a/b``, ``a_b``, ``a b``, ``a;b``) get
different names that depend on the UID alone, adding or removing contacts never moves a card to another file,
and a file holding another card is never written over. (Under vdirsyncer a file that changed owner is a
CardDAV item that silently becomes another person.)"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from crm_testkit import Cli

COLLIDING = ["a/b", "a_b", "a b", "a;b"]


def card(uid: str, name: str) -> str:
    uid_text = uid.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid_text}\r\nFN:{name}\r\nEND:VCARD\r\n"


def add(cli: Cli, *uids: str) -> None:
    text = "".join(card(uid, f"Person {uid}") for uid in uids)
    r = cli("import", "vcard", "-", input=text)
    assert r.exit_code == 0, r.stderr


def owners(folder: Path) -> dict[str, str]:
    """Each file of the vdir and the name of the person whose card it holds."""
    out = {}
    for path in folder.glob("*.vcf"):
        m = re.search(r"^FN:(.*?)\r?$", path.read_text(encoding="utf-8"), re.MULTILINE)
        out[path.name] = re.sub(r"\\(.)", r"\1", m.group(1)) if m else ""
    return out


def export(cli: Cli, folder: Path) -> dict:
    r = cli("export", "vcard", str(folder), "--vdir", "--force", "--json")
    assert r.exit_code == 0, r.stderr
    return r.json


# --- the names ------------------------------------------------------------------------------------------


def test_uids_that_look_alike_get_different_names():
    from tinycrm.services.interchange.exporting import vdir_name

    names = [vdir_name(u) for u in COLLIDING]
    assert len({n.casefold() for n in names}) == 4
    assert names[1] == "a_b.vcf"  # a safe UID is its own name
    assert all(n.startswith("a_b~") for n in names[:1] + names[2:])  # the others: readable, then a hash


@pytest.mark.parametrize(
    "uid",
    ["ABC", "abc", "Abc", "..", ".hidden", "con", "nul.x", "", "x" * 300, "ünï/cödé", "a~b", "urn:uuid:1-2"],
)
def test_every_name_is_a_safe_file_name(uid):
    from tinycrm.services.interchange.exporting import vdir_name

    name = vdir_name(uid)
    assert re.fullmatch(r"[A-Za-z0-9._@+=~-]+\.vcf", name) and not name.startswith(".")
    assert len(name.encode()) <= 255 and name.split(".")[0].lower() not in ("con", "nul")
    assert vdir_name(uid) == name  # the UID alone decides


def test_no_two_uids_share_a_name_even_ignoring_case():
    from tinycrm.services.interchange.exporting import vdir_name

    rng = random.Random(20260322)
    alphabet = "aAbB_/ ;.:~-é0"
    uids = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(5000)}
    uids |= {"ABC", "abc", "a_b~x", "a_b"}
    names = {vdir_name(u).casefold() for u in uids}
    assert len(names) == len(uids)


# --- the files ------------------------------------------------------------------------------------------


def test_adding_and_removing_contacts_never_moves_a_card(sqlite_cli, tmp_path):
    folder = tmp_path / "book"
    add(sqlite_cli, *COLLIDING)
    export(sqlite_cli, folder)
    first = owners(folder)
    assert sorted(first.values()) == sorted(f"Person {u}" for u in COLLIDING)
    # a new look-alike, sorting first: no file changes hands
    add(sqlite_cli, "a+b", "a:b", "A_B")
    report = export(sqlite_cli, folder)
    assert (report["written"], report["unchanged"]) == (3, 4)
    second = owners(folder)
    assert {k: second[k] for k in first} == first and len(second) == 7
    # a contact removed: its file stays as it was (a vdir export never deletes), the others keep theirs
    assert sqlite_cli("contact", "delete", "3", "--yes").exit_code == 0  # Person a b
    report = export(sqlite_cli, folder)
    assert (report["written"], report["unchanged"]) == (0, 6)
    assert owners(folder) == second
    # and a new contact never takes the removed one's file
    add(sqlite_cli, "a,b")
    export(sqlite_cli, folder)
    third = owners(folder)
    assert {k: third[k] for k in second} == second and len(third) == 8


def test_a_vdir_from_an_older_tinycrm_keeps_its_file_names(sqlite_cli, tmp_path):
    """Older exports numbered look-alikes (a_b.vcf, a_b-2.vcf...): each contact keeps the file that holds its
    UID, so upgrading moves nothing."""
    folder = tmp_path / "book"
    folder.mkdir()
    add(sqlite_cli, *COLLIDING)
    old_names = {"a b": "a_b.vcf", "a/b": "a_b-2.vcf", "a;b": "a_b-3.vcf", "a_b": "a_b-4.vcf"}
    for uid, name in old_names.items():
        (folder / name).write_text(card(uid, f"Person {uid}"), encoding="utf-8")
    report = export(sqlite_cli, folder)
    assert report["written"] + report["unchanged"] == 4
    assert owners(folder) == {name: f"Person {uid}" for uid, name in old_names.items()}


def test_a_file_holding_another_card_is_never_written_over(sqlite_cli, tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    add(sqlite_cli, "ada", "bob")
    (folder / "ada.vcf").write_text(card("someone-else", "Someone Else"), encoding="utf-8")
    (folder / "bob.vcf").write_text("not a vCard at all\n", encoding="utf-8")
    export(sqlite_cli, folder)
    files = owners(folder)
    assert files["ada.vcf"] == "Someone Else" and (folder / "bob.vcf").read_text() == "not a vCard at all\n"
    assert sorted(files.values()) == ["", "Person ada", "Person bob", "Someone Else"]
    again = export(sqlite_cli, folder)  # and the next export finds the same files again
    assert (again["written"], again["unchanged"]) == (0, 2) and owners(folder) == files


def test_uids_differing_only_in_case_get_two_files(sqlite_cli, tmp_path):
    """On a file system that ignores case (macOS, Windows) ABC.vcf and abc.vcf would be one file."""
    folder = tmp_path / "book"
    add(sqlite_cli, "abc", "ABC")
    export(sqlite_cli, folder)
    names = sorted(owners(folder))
    assert len({n.casefold() for n in names}) == 2 and "abc.vcf" in names
