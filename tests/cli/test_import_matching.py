"""Which contact an imported record is about, and what it may change there, on both stores: UID, then a
shared email or phone; a shared name alone never replaces anything (a new contact, flagged as a possible
duplicate; with --match name a merge that only adds); nothing a record does not mention is removed unless
--replace; --dry-run writes nothing; a file without any vCard is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

ADA_CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:countess@lovelace.example\r\nEND:VCARD\r\n"


def add(cli, *args: str) -> int:
    r = cli("add-contact", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return r.json["id"]


def add_ada(cli) -> int:
    """Ada with everything: 3 emails, 2 phones, 2 addresses, company, title, birthday, tags, a field, notes."""
    return add(
        cli,
        "Ada Lovelace",
        "--email",
        "work:ada@engines.example",
        "--email",
        "home:ada@home.example",
        "--email",
        "ada@poetry.example",
        "--phone",
        "mobile:+44 20 7946 0001",
        "--phone",
        "work:+44 20 7946 0002",
        "--address",
        "home:12 St James's Square; London; ; SW1Y 4JH; UK",
        "--address",
        "work:1 Engine Row; London",
        "--company",
        "Analytical Engines",
        "--title",
        "Programmer",
        "--birthday",
        "1815-12-10",
        "--tag",
        "math",
        "--tag",
        "poetry",
        "--field",
        "source=salon",
        "--note",
        "Met at the Babbage salon",
    )


def show(cli, ref: str | int) -> dict:
    r = cli("contact", "show", str(ref), "--json")
    assert r.exit_code == 0, r.stderr
    return r.json


def write(tmp_path: Path, name: str, text: str) -> str:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return str(f)


def card(*lines: str) -> str:
    return "BEGIN:VCARD\r\nVERSION:3.0\r\n" + "".join(f"{x}\r\n" for x in lines) + "END:VCARD\r\n"


def everything(url: str) -> dict:
    """Every row of every table (and on PostgreSQL the id sequences): to prove a dry run wrote nothing."""
    from tinycrm.store.database import open_db
    from tinycrm.store.tables import table_order

    db = open_db(url)
    try:
        with db.read() as tx:
            out = {t: sorted(map(repr, map(tuple, tx.all(f"SELECT * FROM {t}")))) for t in table_order()}
            if not db.is_sqlite:
                for seq in tx.column("SELECT sequencename FROM pg_sequences ORDER BY sequencename"):
                    out[seq] = [repr(tuple(tx.one(f"SELECT last_value, is_called FROM {seq}")))]
        return out
    finally:
        db.close()


# --- the day-one report: a card with Ada's name and another email -----------------------------------------


def test_a_card_with_only_the_same_name_never_touches_the_contact(cli, tmp_path):
    ada = add_ada(cli)
    before = show(cli, ada)
    path = write(tmp_path, "ada.vcf", ADA_CARD)
    r = cli("import", "vcard", path)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "created 1, updated 0, unchanged 0, failed 0, possible duplicates 1"
    new = show(cli, "countess@lovelace.example")
    assert new["id"] != ada and new["display_name"] == "Ada Lovelace"
    assert f"created contact {new['id']} Ada Lovelace, a possible duplicate of contact {ada}" in r.stderr
    assert f"crm merge {ada} {new['id']}" in r.stderr
    after = show(cli, ada)
    assert after == before  # she keeps everything, version included
    assert len(after["emails"]) == 3 and len(after["phones"]) == 2 and len(after["addresses"]) == 2
    assert after["company"]["name"] == "Analytical Engines" and after["birthday"] == "1815-12-10"
    assert after["tags"] == ["math", "poetry"] and after["notes"] == "Met at the Babbage salon"
    pairs = cli("duplicates", "--json").json
    assert [(p["a"]["id"], p["b"]["id"]) for p in pairs] == [(ada, new["id"])]
    # importing the same file again changes nothing
    r = cli("import", "vcard", path, "--json")
    assert (r.json["created"], r.json["updated"], r.json["unchanged"]) == (0, 0, 1)
    assert r.json["duplicates"] == []
    assert len(cli("contact", "list", "--json").json) == 2 and show(cli, ada) == before


def test_the_json_summary_names_both_contacts(cli, tmp_path):
    ada = add_ada(cli)
    r = cli("import", "vcard", write(tmp_path, "ada.vcf", ADA_CARD), "--json")
    assert r.exit_code == 0, r.stderr
    (dup,) = r.json["duplicates"]
    new = show(cli, "countess@lovelace.example")["id"]
    assert (dup["id"], dup["duplicate_of"], dup["name"], dup["reason"]) == (
        new,
        [ada],
        "Ada Lovelace",
        "same name",
    )
    assert "ada.vcf: record 1" in dup["where"]


def test_the_same_scenario_through_csv(cli, tmp_path):
    ada = add_ada(cli)
    before = show(cli, ada)
    path = write(tmp_path, "ada.csv", "Name,Email\nAda Lovelace,countess@lovelace.example\n")
    r = cli("import", "csv", path)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "created 1, updated 0, unchanged 0, failed 0, possible duplicates 1"
    assert show(cli, ada) == before
    assert cli("import", "csv", path).stdout.strip() == "created 0, updated 0, unchanged 1, failed 0"


def test_a_card_its_namesake_has_everything_of_is_unchanged(cli, tmp_path):
    ada = add_ada(cli)
    path = write(tmp_path, "same.vcf", card("FN:Ada Lovelace", "TITLE:Programmer", "CATEGORIES:math"))
    r = cli("import", "vcard", path)
    assert r.stdout.strip() == "created 0, updated 0, unchanged 1, failed 0", r.stderr
    assert [c["id"] for c in cli("contact", "list", "--json").json] == [ada]


def test_two_namesakes_and_a_card_without_uid(cli, tmp_path):
    first = add(cli, "John Smith", "--email", "john@one.example")
    second = add(cli, "John Smith", "--email", "john@two.example")
    path = write(tmp_path, "john.vcf", card("FN:John Smith", "TITLE:Plumber"))
    for match in ("email", "name"):  # --match name too: two namesakes, no way to choose
        r = cli("import", "vcard", path, "--match", match, "--json")
        assert r.exit_code == 0, r.stderr
        assert (r.json["created"], r.json["updated"]) == (1, 0)
        assert r.json["duplicates"][0]["duplicate_of"] == [first, second]
        cli("contact", "delete", str(r.json["duplicates"][0]["id"]), "--yes")
    assert show(cli, first)["job_title"] is None and show(cli, second)["job_title"] is None


# --- --match name: a merge that only adds ---------------------------------------------------------------


def test_match_name_adds_and_never_overwrites(cli, tmp_path):
    ada = add_ada(cli)
    before = show(cli, ada)
    path = write(
        tmp_path,
        "ada.vcf",
        card(
            "FN:Ada Lovelace",
            "EMAIL;TYPE=HOME:countess@lovelace.example",
            "EMAIL;TYPE=OTHER:ada@engines.example",  # she has it, labelled work: the label stays
            "TEL:+44 20 7946 0003",
            "ORG:Another Company",
            "TITLE:Countess",
            "ROLE:Patron",
            "BDAY:1900-01-01",
            "CATEGORIES:Math,royalty",
            "NOTE:Wrote the first program",
            "X-TINYCRM-FIELD:source=letter",
            "X-TINYCRM-FIELD:era=victorian",
        ),
    )
    r = cli("import", "vcard", path, "--match", "name")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "created 0, updated 1, unchanged 0, failed 0"
    after = show(cli, ada)
    assert [e["value"] for e in after["emails"]] == [
        *(e["value"] for e in before["emails"]),
        "countess@lovelace.example",
    ]
    assert after["emails"][0] == {"value": "ada@engines.example", "label": "work"}
    assert [p["value"] for p in after["phones"]] == [
        "+44 20 7946 0001",
        "+44 20 7946 0002",
        "+44 20 7946 0003",
    ]
    assert after["addresses"] == before["addresses"]
    assert after["company"]["name"] == "Analytical Engines"  # not overwritten
    assert (after["job_title"], after["birthday"]) == ("Programmer", "1815-12-10")
    assert after["company_role"] == "Patron"  # empty: filled
    assert after["tags"] == ["math", "poetry", "royalty"]
    assert after["fields"] == {"source": "salon", "era": "victorian"}
    assert after["notes"] == "Met at the Babbage salon\n\nWrote the first program"
    assert len(cli("contact", "list", "--json").json) == 1
    # and again: nothing changes (the card now shares an email with her, and still only adds)
    r = cli("import", "vcard", path, "--match", "name")
    assert r.stdout.strip() == "created 0, updated 0, unchanged 1, failed 0", r.stderr
    assert show(cli, ada) == after


def test_match_name_and_replace_do_not_go_together(cli, tmp_path):
    path = write(tmp_path, "ada.vcf", ADA_CARD)
    r = cli("import", "vcard", path, "--match", "name", "--replace")
    assert r.exit_code == 2 and "do not go together" in r.stderr
    r = cli("import", "vcard", path, "--match", "surname")
    assert r.exit_code == 2 and "--match must be email or name" in r.stderr
    assert cli("contact", "list", "--json").json == []


# --- matched records add, and remove only with --replace -------------------------------------------------


def test_a_card_with_her_uid_removes_nothing_it_does_not_mention(cli, tmp_path):
    ada = add_ada(cli)
    before = show(cli, ada)
    path = write(
        tmp_path,
        "uid.vcf",
        card(f"UID:{before['uid']}", "FN:Ada Lovelace", "TEL;TYPE=CELL:+44 20 7946 0009", "TITLE:Countess"),
    )
    r = cli("import", "vcard", path)
    assert r.stdout.strip() == "created 0, updated 1, unchanged 0, failed 0", r.stderr
    after = show(cli, ada)
    assert after["job_title"] == "Countess"  # the card says so: matched by UID, its values win
    assert [p["value"] for p in after["phones"]] == [
        "+44 20 7946 0001",
        "+44 20 7946 0002",
        "+44 20 7946 0009",
    ]
    for key in ("emails", "addresses", "company", "birthday", "tags", "fields", "notes"):
        assert after[key] == before[key], key
    assert cli("import", "vcard", path).stdout.strip() == "created 0, updated 0, unchanged 1, failed 0"
    # --replace: the card is the whole truth, what it does not mention goes
    r = cli("import", "vcard", path, "--replace")
    assert r.stdout.strip() == "created 0, updated 1, unchanged 0, failed 0", r.stderr
    replaced = show(cli, ada)
    assert [p["value"] for p in replaced["phones"]] == ["+44 20 7946 0009"]
    assert replaced["emails"] == [] and replaced["tags"] == [] and replaced["notes"] is None
    assert replaced["company"] is None and replaced["birthday"] is None


def test_cards_without_uid_match_by_a_shared_email_or_phone(cli, tmp_path):
    ada = add_ada(cli)
    grace = add(cli, "Grace Hopper", "--phone", "+1 555 0100 200")
    add(cli, "Short Number", "--phone", "112")
    path = write(
        tmp_path,
        "mixed.vcf",
        card("FN:Countess of Lovelace", "EMAIL:ADA@POETRY.EXAMPLE", "TITLE:Countess")
        + card("FN:Amazing Grace", "TEL:(+1) 555-0100-200", "CATEGORIES:navy")
        + card("FN:Someone Else", "TEL:112"),
    )
    r = cli("import", "vcard", path, "--json")
    assert r.exit_code == 0, r.stderr
    assert (r.json["created"], r.json["updated"]) == (1, 2)
    a, g = show(cli, ada), show(cli, grace)
    assert (a["display_name"], a["job_title"], len(a["emails"])) == ("Countess of Lovelace", "Countess", 3)
    assert (g["display_name"], g["tags"]) == ("Amazing Grace", ["navy"])
    # a number of three digits matches nobody (nor does crm duplicates count it)
    assert show(cli, "Someone Else")["phones"] == [{"value": "112", "label": None}]
    assert r.json["duplicates"] == []
    again = cli("import", "vcard", path, "--json").json
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_a_changed_csv_row_updates_its_contact_by_email_and_keeps_the_rest(cli, tmp_path):
    ada = add_ada(cli)
    path = write(tmp_path, "ada.csv", "Name,Email,Phone,Title\nAda King,ada@home.example,,Countess\n")
    r = cli("import", "csv", path)
    assert r.stdout.strip() == "created 0, updated 1, unchanged 0, failed 0", r.stderr
    a = show(cli, ada)
    assert (a["display_name"], a["given_name"], a["family_name"]) == ("Ada King", "Ada", "King")
    assert a["job_title"] == "Countess" and len(a["emails"]) == 3 and len(a["phones"]) == 2
    assert a["tags"] == ["math", "poetry"] and a["notes"] == "Met at the Babbage salon"


# --- --dry-run --------------------------------------------------------------------------------------------


def test_dry_run_lists_each_card_and_writes_nothing(cli, tmp_path):
    ada = add_ada(cli)
    grace = add(cli, "Grace Hopper", "--email", "grace@navy.example")
    path = write(
        tmp_path,
        "plan.vcf",
        card("FN:Ada Lovelace", "EMAIL:countess@lovelace.example")  # same name only: new, flagged
        + card("FN:Grace Hopper", "EMAIL:grace@navy.example", "TITLE:Rear Admiral")  # by email: updated
        + card("FN:Grace Hopper", "EMAIL:grace@navy.example")  # the same contact again: a new one, flagged
        + card("FN:" + "x" * 500)  # refused by the contacts service
        + card("FN:Linus Torvalds", "EMAIL:linus@kernel.example"),
    )
    before = everything(cli.url)
    if cli.url.startswith("sqlite"):
        raw = Path(cli.url.removeprefix("sqlite:///")).read_bytes()
    r = cli("import", "vcard", path, "--dry-run", "--json")
    assert r.exit_code == 1, r.stderr  # as the import would: one card fails
    assert (r.json["created"], r.json["updated"], r.json["unchanged"], r.json["failed"]) == (3, 1, 0, 1)
    assert r.json["dry_run"] is True
    outcomes = [(o["outcome"], o["id"], o["match"]) for o in r.json["records"]]
    assert outcomes == [
        ("created", None, None),
        ("updated", grace, "email"),
        ("created", None, None),
        ("failed", None, None),
        ("created", None, None),
    ]
    first, update, again, failed, _ = r.json["records"]
    assert first["duplicate"]["duplicate_of"] == [ada]
    assert update["changes"] == {"job_title": {"old": None, "new": "Rear Admiral"}}
    assert again["duplicate"]["duplicate_of"] == [grace]
    assert "500 characters" in failed["message"]
    assert everything(cli.url) == before
    if cli.url.startswith("sqlite"):
        assert Path(cli.url.removeprefix("sqlite:///")).read_bytes() == raw
    # text: one line per card, then the summary
    r = cli("import", "vcard", path, "--dry-run")
    lines = r.stdout.splitlines()
    assert lines[-1] == (
        "created 3, updated 1, unchanged 0, failed 1, possible duplicates 2 (dry run: nothing was written)"
    )
    assert lines[1].split("\t")[1:] == [
        "updated (by email)",
        str(grace),
        "Grace Hopper",
        "title: Rear Admiral",
    ]
    assert f"possible duplicate of contact {ada} (same name)" in lines[0]
    assert everything(cli.url) == before
    # and the real import does what the dry run said
    r = cli("import", "vcard", path, "--json")
    assert (r.json["created"], r.json["updated"], r.json["failed"]) == (3, 1, 1)


def test_dry_run_keeps_broken_cards_in_file_order(cli):
    broken = Path(__file__).parents[1] / "fixtures" / "vcards" / "broken_cards.vcf"
    r = cli("import", "vcard", str(broken), "--dry-run", "--json")
    assert r.exit_code == 1  # as documented: some cards cannot be imported
    assert [(o["where"].split(": ")[-1], o["outcome"]) for o in r.json["records"]] == [
        ("record 1 (line 1)", "created"),
        ("record 2 (line 7)", "failed"),
        ("record 3 (line 12)", "failed"),
        ("record 4 (line 16)", "created"),
    ]
    assert cli("contact", "list", "--json").json == []


def test_dry_run_of_a_second_import_reports_unchanged(cli, tmp_path):
    path = write(tmp_path, "two.vcf", card("UID:u-1", "FN:One") + card("FN:Two", "EMAIL:two@example.com"))
    assert cli("import", "vcard", path).exit_code == 0
    r = cli("import", "vcard", path, "--dry-run", "--json")
    assert [(o["outcome"], o["match"], o["changes"]) for o in r.json["records"]] == [
        ("unchanged", "uid", {}),
        ("unchanged", "email", {}),
    ]


def test_dry_run_from_standard_input(cli):
    r = cli("import", "vcard", "-", "--dry-run", input=ADA_CARD)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[-1].startswith("created 1, updated 0")
    assert cli("contact", "list", "--json").json == []


def test_csv_dry_run_shows_what_each_row_would_do(cli, tmp_path):
    ada = add_ada(cli)
    path = write(
        tmp_path, "rows.csv", "Name,Email\nAda Lovelace,ada@home.example\nNew Person,new@example.com\n"
    )
    before = everything(cli.url)
    r = cli("import", "csv", path, "--dry-run", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["preset"] == "generic" and len(r.json["rows"]) == 2
    assert [(o["outcome"], o["id"]) for o in r.json["records"]] == [("unchanged", ada), ("created", None)]
    assert everything(cli.url) == before


# --- a file that holds no vCard ------------------------------------------------------------------------


def test_a_file_without_any_vcard_is_refused(cli, tmp_path):
    garbage = write(tmp_path, "garbage.txt", "Dear diary,\nno cards here.\n")
    good = write(tmp_path, "good.vcf", card("FN:Good Card"))
    before = everything(cli.url)
    r = cli("import", "vcard", garbage)
    assert r.exit_code == 2
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert "garbage.txt holds no vCard" in r.stderr
    # named with good files, before or after them: nothing is imported
    for paths in ((good, garbage), (garbage, good)):
        r = cli("import", "vcard", *paths)
        assert r.exit_code == 2 and "garbage.txt holds no vCard" in r.stderr
    assert cli("import", "vcard", "-", input="not a card").exit_code == 2
    assert cli("import", "vcard", garbage, "--dry-run").exit_code == 2
    assert everything(cli.url) == before


# --- the service, on both stores -------------------------------------------------------------------------


@pytest.fixture
def import_text(db, tmp_path):
    from tinycrm.services.interchange.files import sources
    from tinycrm.services.interchange.importing import ImportOptions, import_vcards

    def run(text: str, **options):
        f = tmp_path / "cards.vcf"
        f.write_text(text, encoding="utf-8")
        return import_vcards(
            db, sources([str(f)], None, suffixes=(".vcf",)), options=ImportOptions(**options)
        )

    return run


def test_the_service_keeps_ada_whole(db, import_text):
    from tinycrm.domain.people import Address, ContactInput, Labeled
    from tinycrm.services.people import contacts

    ada = contacts.create(
        db,
        ContactInput(
            "Ada Lovelace",
            emails=[
                Labeled("ada@engines.example", "work"),
                Labeled("ada@home.example"),
                Labeled("a@p.example"),
            ],
            phones=[Labeled("+44 20 7946 0001", "mobile"), Labeled("+44 20 7946 0002", "work")],
            addresses=[Address("home", "12 St James's Square", "London"), Address("work", "1 Engine Row")],
            company="Analytical Engines",
            birthday="1815-12-10",
            tags=["math", "poetry"],
            notes="Met at the Babbage salon",
        ),
    )
    report = import_text(ADA_CARD, dry_run=True)
    assert (report.created, report.updated, report.duplicates[0].duplicate_of) == (1, 0, [ada.id])
    assert contacts.get(db, ada.id) == ada and contacts.list_contacts(db).total == 1
    merged = import_text(card("FN:Ada Lovelace", "TITLE:Countess", "ORG:Elsewhere"), match_name=True)
    assert (merged.created, merged.updated) == (0, 1)
    kept = contacts.get(db, ada.id)
    assert kept.job_title == "Countess" and kept.company.name == "Analytical Engines"
    for key in ("emails", "phones", "addresses", "birthday", "tags", "notes"):
        assert getattr(kept, key) == getattr(ada, key), key
    report = import_text(ADA_CARD)
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    (dup,) = report.duplicates
    assert dup.duplicate_of == [ada.id] and dup.id != ada.id
    assert contacts.get(db, ada.id) == kept
    again = import_text(ADA_CARD)
    assert (again.created, again.updated, again.unchanged, again.duplicates) == (0, 0, 1, [])
    assert contacts.get(db, ada.id) == kept


def test_the_service_refuses_a_file_without_cards(db, tmp_path):
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.interchange.files import sources
    from tinycrm.services.interchange.importing import import_vcards

    f = tmp_path / "garbage.txt"
    f.write_bytes(b"\x00\x01 nothing")
    with pytest.raises(InvalidInput, match="garbage.txt holds no vCard"):
        import_vcards(db, sources([str(f)], None, suffixes=(".vcf",)))
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM audit_log WHERE action = 'import'") == 0
