"""``crm remind``, the cron contract, on both stores: silence when nothing is due, no repeats until a change
or a new day, per-user reminders, exit codes, and the digest e-mail through a real SMTP server (aiosmtpd) or
a sendmail program."""

import email
import email.policy
import socket
import stat
import textwrap

import pytest

from tinycrm.domain.people import ContactInput
from tinycrm.domain.tasks import AgendaItem, TaskInput
from tinycrm.services.people import contacts
from tinycrm.services.work import remind, tasks

FRI = {"TINYCRM_NOW": "2026-03-27T08:00:00+01:00", "TZ": "Europe/Berlin"}


def at(when: str) -> dict:
    return {**FRI, "TINYCRM_NOW": when}


def setup_due(cli) -> None:
    """Something of every kind due on Friday 27 March 2026."""
    assert (
        cli("add-contact", "Stan Stale", "--cadence", "10", env=at("2026-03-01T10:00:00+01:00")).exit_code
        == 0
    )
    assert cli("add-contact", "Ada Lovelace", "--birthday", "1990-03-30", env=FRI).exit_code == 0
    assert cli("task", "add", "Pay invoice", "--due", "yesterday", env=FRI).exit_code == 0
    assert cli("task", "add", "Call Ada", "--due", "today 15:00", "--contact", "Ada", env=FRI).exit_code == 0
    assert cli("task", "add", "Next week", "--due", "in 5 days", env=FRI).exit_code == 0


def test_nothing_due_prints_nothing(cli):
    assert cli("task", "add", "Later", "--due", "in 5 days", env=FRI).exit_code == 0
    r = cli("remind", env=FRI)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    r = cli("remind", "--json", env=FRI)
    assert (r.exit_code, r.json) == (0, [])


def test_digest_then_quiet_until_a_change_or_a_new_day(cli):
    setup_due(cli)
    r = cli("remind", env=FRI)
    assert r.exit_code == 0 and r.stderr == ""
    text = r.stdout
    assert text.startswith("tinycrm: 4 due (2 overdue, 1 today, 1 coming up) - Friday 2026-03-27\n")
    assert "\nOverdue\n" in text and "\nToday\n" in text and "\nComing up\n" in text
    overdue = text.split("\nOverdue\n")[1].split("\n\n")[0]
    stan = "Get in touch with Stan Stale  [contact 1]  every 10 days; nothing logged since added 2026-03-01"
    assert f"{stan}, 16 days overdue" in overdue
    assert "Thu 2026-03-26  Pay invoice  [task 1]" in overdue
    assert "15:00  Call Ada  [task 2]  Ada Lovelace" in text.split("\nToday\n")[1]
    assert "Mon 2026-03-30  Birthday: Ada Lovelace  [contact 2]  turns 36" in text
    assert "Next week" not in text

    # cron runs again an hour later: nothing new, nothing printed
    r = cli("remind", env=at("2026-03-27T09:00:00+01:00"))
    assert (r.exit_code, r.stdout) == (0, "")
    # --all repeats everything due
    r = cli("remind", "--all", env=at("2026-03-27T09:00:00+01:00"))
    assert r.stdout.startswith("tinycrm: 4 due")
    # a change brings an item back
    assert (
        cli(
            "task", "edit", "Pay invoice", "--priority", "high", env=at("2026-03-27T10:00:00+01:00")
        ).exit_code
        == 0
    )
    r = cli("remind", env=at("2026-03-27T10:05:00+01:00"))
    assert r.stdout.startswith("tinycrm: 1 due (1 overdue)") and "Pay invoice" in r.stdout
    # a task due at 15:00 that passes its time is reminded again, as overdue
    r = cli("remind", env=at("2026-03-27T15:30:00+01:00"))
    assert r.stdout.startswith("tinycrm: 1 due (1 overdue)") and "Call Ada" in r.stdout
    # a new day: everything still due is said again
    r = cli("remind", "--json", env=at("2026-03-28T07:00:00+01:00"))
    assert sorted(i["key"] for i in r.json) == ["birthday:2:2026", "stale:1", "task:1", "task:2"]
    # snoozed: left out until the snooze ends
    assert cli("task", "snooze", "Pay invoice", "monday", env=at("2026-03-28T08:00:00+01:00")).exit_code == 0
    r = cli("remind", "--all", "--json", env=at("2026-03-28T08:00:00+01:00"))
    assert "task:1" not in [i["key"] for i in r.json]
    # logging an interaction takes the contact off
    assert (
        cli("log", "Stan", "--kind", "call", "--summary", "hi", env=at("2026-03-28T08:00:00+01:00")).exit_code
        == 0
    )
    r = cli("remind", "--all", "--json", env=at("2026-03-28T08:10:00+01:00"))
    assert "stale:1" not in [i["key"] for i in r.json]


def test_dry_run_records_nothing(cli):
    setup_due(cli)
    assert cli("remind", "--dry-run", env=FRI).stdout != ""
    assert cli("remind", env=FRI).stdout != ""
    assert cli("remind", env=FRI).stdout == ""


def test_each_owner_gets_their_own(cli):
    from tinycrm.services.team import users
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    try:
        users.add(db, "bob")
    finally:
        db.close()
    assert cli("task", "add", "Mine", "--due", "today", env=FRI).exit_code == 0
    assert cli("task", "add", "Bob's", "--due", "today", "--assign", "bob", env=FRI).exit_code == 0
    r = cli("remind", "--owner", "bob", "--json", env=FRI)
    assert [i["title"] for i in r.json] == ["Bob's"]
    r = cli("remind", "--mine", "--json", env=FRI)  # tester's reminders are not bob's: still due for tester
    assert [i["title"] for i in r.json] == ["Mine"]
    assert cli("remind", "--owner", "bob", env=FRI).stdout == ""
    r = cli("remind", "--owner", "carol", env=FRI)
    assert r.exit_code == 2 and "carol" in r.stderr


def test_services(db, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    monkeypatch.setenv("TINYCRM_NOW", FRI["TINYCRM_NOW"])
    c = contacts.create(db, ContactInput(display_name="Ada", birthday="--03-27"))
    t = tasks.create(db, TaskInput("Call", due="today 9:00", contact_id=c.id))
    items = remind.due_items(db)
    assert [(i.kind, i.section) for i in items] == [("birthday", "today"), ("task", "today")]
    assert remind.mark_sent(db, items, "tester") == 2
    assert remind.due_items(db) == []
    assert len(remind.due_items(db, include_seen=True)) == 2
    assert remind.due_items(db, user="someone else") == items
    tasks.update(db, t.id, {"title": "Call Ada"})
    assert [i.title for i in remind.due_items(db)] == ["Call Ada"]
    assert remind.forget(db, "tester") == 2
    assert len(remind.due_items(db)) == 2


def test_render_digest_is_pure_text():
    from datetime import date

    items = [
        AgendaItem(kind="task", title="A", when=date(2026, 3, 26), task_id=1, section="overdue"),
        AgendaItem(
            kind="deal",
            title="Idle deal: B",
            when=None,
            deal_id=7,
            detail="20 days in Lead",
            section="overdue",
        ),
        AgendaItem(
            kind="birthday", title="Birthday: C", when=date(2026, 3, 27), contact_id=3, section="today"
        ),
    ]
    text = remind.render_digest(items, today=date(2026, 3, 27))
    assert text.splitlines() == [
        "tinycrm: 3 due (2 overdue, 1 today) - Friday 2026-03-27",
        "",
        "Overdue",
        "  Thu 2026-03-26  A  [task 1]",
        "                  Idle deal: B  [deal 7]  20 days in Lead",
        "",
        "Today",
        "  today  Birthday: C  [contact 3]",
    ]
    assert remind.render_digest([]) == ""


# --- exit codes -----------------------------------------------------------------------------------------


def test_database_unavailable_exits_75(tmp_path):
    """A server that is not there is "try again later" (75); a folder where the file should be is a wrong path
    (2), so a timer does not retry it forever."""
    from crm_testkit import Cli

    for url, code, words in (
        ("postgresql+psycopg://postgres:postgres@127.0.0.1:1/crm", 75, "crm: error: "),
        (f"sqlite:///{tmp_path}", 2, "is not a regular file"),
    ):
        r = Cli(url)("remind", env=FRI)
        assert r.exit_code == code and words in r.stderr, r.stderr
        assert r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("crm: error: ")


# --- mail -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"crm",
            b"s3cret",
        )
        return AuthResult(success=ok, handled=False)

    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def write_config(home, text: str) -> None:
    (home / "config.toml").write_text(textwrap.dedent(text))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_mail_digest_through_smtp(cli, smtp_server, _isolated_home):
    inbox, port = smtp_server
    write_config(
        _isolated_home,
        f"""
        [smtp]
        host = "127.0.0.1"
        port = {port}
        user = "crm"
        password_env = "TEST_SMTP_PASSWORD"
        from = "tinycrm <crm@example.com>"
    """,
    )
    setup_due(cli)
    env = {**FRI, "TEST_SMTP_PASSWORD": "s3cret"}
    r = cli("remind", "--mail-to", "ada@example.com", env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert len(inbox.messages) == 1
    sender, rcpts, message = inbox.messages[0]
    assert (sender, rcpts) == ("crm@example.com", ["ada@example.com"])
    assert message["Subject"] == "tinycrm: 4 due (2 overdue, 1 today, 1 coming up)"
    assert message["To"] == "ada@example.com" and message["From"] == "tinycrm <crm@example.com>"
    body = message.get_content()
    for title in ("Pay invoice", "Call Ada", "Get in touch with Stan Stale", "Birthday: Ada Lovelace"):
        assert title in body
    # reminded: the next run sends nothing
    r = cli("remind", "--mail-to", "ada@example.com", env=env)
    assert (r.exit_code, r.stdout) == (0, "") and len(inbox.messages) == 1
    # nothing due: no mail at all
    r = cli("remind", "--mail-to", "ada@example.com", env={**env, "TINYCRM_NOW": "2026-03-27T08:30:00+01:00"})
    assert len(inbox.messages) == 1
    # a wrong password is refused for good: exit 1
    r = cli("remind", "--all", "--mail-to", "ada@example.com", env={**env, "TEST_SMTP_PASSWORD": "nope"})
    assert r.exit_code == 1 and "login" in r.stderr and len(inbox.messages) == 1


def test_mail_failures(cli, _isolated_home):
    setup_due(cli)
    port = free_port()  # nobody listens there
    write_config(
        _isolated_home,
        f"""
        [smtp]
        host = "127.0.0.1"
        port = {port}
    """,
    )
    r = cli("remind", "--mail-to", "ada@example.com", env=FRI)
    assert r.exit_code == 75 and r.stdout == "" and "try again later" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    # not recorded as sent: the next run tries again
    assert cli("remind", env=FRI).stdout.startswith("tinycrm: 4 due")
    r = cli("remind", "--all", "--mail-to", "not an address", env=FRI)
    assert r.exit_code == 2 and "--mail-to" in r.stderr
    write_config(
        _isolated_home,
        """
        [smtp]
        host = "127.0.0.1"
        password = "plain"
    """,
    )
    r = cli("remind", "--all", "--mail-to", "ada@example.com", env=FRI)
    assert r.exit_code == 2 and "password_env" in r.stderr
    write_config(
        _isolated_home,
        """
        [smtp]
        user = "crm"
        password_env = "TINYCRM_NO_SUCH_VARIABLE"
    """,
    )
    r = cli("remind", "--all", "--mail-to", "ada@example.com", env=FRI)
    assert r.exit_code == 2 and "TINYCRM_NO_SUCH_VARIABLE" in r.stderr


def test_mail_through_sendmail(cli, _isolated_home, tmp_path):
    spool = tmp_path / "spool.eml"
    program = tmp_path / "fake-sendmail"
    program.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "args"}\ncat > {spool}\nexit ${{FAKE_EXIT:-0}}\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    write_config(
        _isolated_home,
        f"""
        [smtp]
        sendmail = "{program}"
        from = "crm@example.com"
    """,
    )
    setup_due(cli)
    r = cli("remind", "--mail-to", "ada@example.com", env={**FRI, "FAKE_EXIT": "75"})
    assert r.exit_code == 75
    r = cli("remind", "--mail-to", "ada@example.com", env=FRI)
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "args").read_text().split() == ["-t", "-oi"]
    message = email.message_from_bytes(spool.read_bytes(), policy=email.policy.default)
    assert message["To"] == "ada@example.com" and "Pay invoice" in message.get_content()


# --- options and settings are checked on every run -------------------------------------------------------

GOOD_SMTP = """
    [smtp]
    host = "127.0.0.1"
    port = {port}
    user = "crm"
    password_env = "TEST_SMTP_PASSWORD"
    from = "tinycrm <crm@example.com>"
"""
#: (what is wrong, the config file, the arguments, a word the error must contain)
BROKEN = [
    ("bad --mail-to", GOOD_SMTP, ["--mail-to", "not an address"], "--mail-to"),
    ("empty --mail-to", GOOD_SMTP, ["--mail-to", ""], "--mail-to"),
    (
        "port out of range",
        GOOD_SMTP.replace("port = {port}", "port = 70000"),
        ["--mail-to", "a@example.com"],
        "65535",
    ),
    ("unknown key", GOOD_SMTP + "    prot = 25\n", ["--mail-to", "a@example.com"], "did you mean port?"),
    (
        "bad from",
        GOOD_SMTP.replace("tinycrm <crm@example.com>", "the crm"),
        ["--mail-to", "a@example.com"],
        "from",
    ),
    (
        "password in the file",
        GOOD_SMTP + '    password = "s3cret"\n',
        ["--mail-to", "a@example.com"],
        "password_env",
    ),
    (
        "no password_env",
        GOOD_SMTP.replace('password_env = "TEST_SMTP_PASSWORD"', ""),
        ["--mail-to", "a@example.com"],
        "password_env",
    ),
    (
        "password variable unset",
        GOOD_SMTP.replace("TEST_SMTP_PASSWORD", "TINYCRM_NO_SUCH_VARIABLE"),
        ["--mail-to", "a@example.com"],
        "TINYCRM_NO_SUCH_VARIABLE",
    ),
    (
        "no sendmail program",
        '\n    [smtp]\n    sendmail = "/nonexistent/sendmail"\n',
        ["--mail-to", "a@example.com"],
        "/nonexistent/sendmail",
    ),
    ("broken [smtp], printing", GOOD_SMTP.replace("port = {port}", "port = 0"), [], "65535"),
]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("due", [True, False], ids=["something due", "nothing due"])
@pytest.mark.parametrize(("case", "text", "args", "word"), BROKEN, ids=[b[0] for b in BROKEN])
def test_options_and_settings_are_checked_on_every_run(
    cli, smtp_server, _isolated_home, due, case, text, args, word
):
    inbox, port = smtp_server
    if due:
        setup_due(cli)
    else:
        assert cli("task", "add", "Later", "--due", "in 5 days", env=FRI).exit_code == 0
    write_config(_isolated_home, text.replace("{port}", str(port)))
    env = {**FRI, "TEST_SMTP_PASSWORD": "s3cret"}
    for extra in ([], ["--json"], ["--all"]):
        r = cli("remind", *args, *extra, env=env)
        assert r.exit_code == 2, (case, r.stderr)
        assert r.stdout == "" and word in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("crm: error: ")
    assert inbox.messages == []
    # nothing was recorded as reminded: with the settings fixed, everything due comes, in one mail
    write_config(_isolated_home, GOOD_SMTP.replace("{port}", str(port)))
    r = cli("remind", "--mail-to", "ada@example.com", env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert len(inbox.messages) == (1 if due else 0)
    if due:
        assert inbox.messages[0][2]["Subject"] == "tinycrm: 4 due (2 overdue, 1 today, 1 coming up)"
