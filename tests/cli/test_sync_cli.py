"""``crm sync vdir|conflicts|resolve`` as a shell uses them: summaries on stderr, --json, exit codes, dry runs."""

import os


def _add(cli, name: str, email: str) -> int:
    r = cli("add-contact", name, "--email", email)
    assert r.exit_code == 0, r.stderr
    return int(r.stdout.strip())


def test_sync_round_trip_in_the_shell(cli, tmp_path):
    folder = tmp_path / "cards"
    ada = _add(cli, "Ada Lovelace", "ada@example.com")
    r = cli("sync", "vdir", str(folder))
    assert r.exit_code == 0 and r.stdout == "" and "1 files written" in r.stderr
    path = next(folder.glob("*.vcf"))
    path.write_bytes(path.read_bytes().replace(b"FN:Ada Lovelace", b"FN:Ada King"))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))

    dry = cli("sync", "vdir", str(folder), "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.split("\t")[:2] == ["update", path.name]
    assert "dry run" in dry.stderr
    assert cli("contact", "show", str(ada), "--json").json["display_name"] == "Ada Lovelace"

    r = cli("sync", "vdir", str(folder), "--json")
    assert r.exit_code == 0 and r.json["counts"] == {"update": 1}
    assert cli("contact", "show", str(ada), "--json").json["display_name"] == "Ada King"


def test_a_conflict_is_shown_on_the_contact_and_settled_from_the_shell(cli, tmp_path):
    folder = tmp_path / "cards"
    ada = _add(cli, "Ada Lovelace", "ada@example.com")
    cli("sync", "vdir", str(folder))
    path = next(folder.glob("*.vcf"))
    path.write_bytes(path.read_bytes().replace(b"FN:Ada Lovelace", b"FN:Ada King"))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))
    assert cli("contact", "edit", str(ada), "--title", "Countess").exit_code == 0

    r = cli("sync", "vdir", str(folder))
    assert r.exit_code == 0 and r.stdout.startswith("conflict\t") and "crm sync resolve" in r.stderr
    listed = cli("sync", "conflicts", "--json").json
    assert [(c["contact_id"], c["file"]) for c in listed] == [(ada, path.name)]
    shown = cli("contact", "show", str(ada))
    assert "sync conflict" in shown.stderr and f"crm sync resolve {ada}" in shown.stderr

    bad = cli("sync", "resolve", str(ada), "--use", "both")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1
    assert cli("sync", "resolve", str(ada), "--use", "file").exit_code == 0
    assert cli("sync", "conflicts", "--json").json == []
    assert cli("contact", "show", str(ada), "--json").json["display_name"] == "Ada King"
    none = cli("sync", "resolve", str(ada), "--use", "file")
    assert none.exit_code == 2 and "no sync conflict" in none.stderr


def test_bad_cards_exit_1_with_one_line_each_and_the_rest_synced(cli, tmp_path):
    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "junk.vcf").write_bytes(b"hello\n")
    (folder / "ok.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ok-1\r\nFN:Okay\r\nEND:VCARD\r\n")
    r = cli("sync", "vdir", str(folder))
    assert r.exit_code == 1
    assert [line for line in r.stderr.splitlines() if line.startswith("junk.vcf:")] == [
        "junk.vcf: not a vCard (no BEGIN:VCARD ... END:VCARD); skipped"
    ]
    assert "Traceback" not in r.stderr
    assert [c["display_name"] for c in cli("contact", "list", "--json").json] == ["Okay"]


def test_a_file_given_as_the_folder_is_bad_input(cli, tmp_path):
    target = tmp_path / "file.vcf"
    target.write_text("x")
    r = cli("sync", "vdir", str(target))
    assert r.exit_code == 2 and "needs a folder" in r.stderr
    r = cli("sync", "vdir", str(tmp_path / "missing"), "--dry-run")
    assert r.exit_code == 2 and not (tmp_path / "missing").exists()
    r = cli("sync", "vdir", str(tmp_path / "x"), "--prefer", "phone")
    assert r.exit_code == 2 and "--prefer" in r.stderr
