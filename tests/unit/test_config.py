"""The typed config file: every section checked when it is read, errors naming the file, the line and what
is allowed, environment overrides, and the line finder behind the messages."""

import ast
import inspect
import textwrap
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from tinycrm import config
from tinycrm.config import Core, Keys, Sales, Smtp, Tui
from tinycrm.config.base import Section, setting
from tinycrm.config.sections import SECTIONS, between
from tinycrm.config.tomlfile import key_lines
from tinycrm.domain.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_user_from_the_environment(monkeypatch):
    monkeypatch.delenv("TINYCRM_USER", raising=False)
    config.reset()


@pytest.fixture
def write(_isolated_home):
    """Write the config file (dedented) and forget what was read before."""

    def write_config(text: str) -> Path:
        path = _isolated_home / "config.toml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        config.reset()
        return path

    return write_config


def error(write, text: str) -> str:
    path = write(text)
    with pytest.raises(InvalidInput) as info:
        config.load()
    message = info.value.message
    assert "\n" not in message
    return message.replace(str(path), "config.toml")


# --- good files -----------------------------------------------------------------------------------------


def test_no_file_gives_the_defaults(_isolated_home):
    settings = config.load()
    assert not settings.exists
    assert settings.path == _isolated_home / "config.toml"
    assert config.get(Core) == Core(db=None, user=None, birthday_lead_days=7)
    assert config.get(Smtp).port == 25 and config.get(Smtp).host == "localhost"
    assert config.get(Tui).start == "contacts" and config.get(Keys).bindings == {}
    assert {s.origin for s in settings.sources} == {"default"}


def test_every_section_typed(write, tmp_path):
    write(f"""
        db = "sqlite:///{tmp_path}/crm.sqlite3"
        user = "ada"
        birthday_lead_days = 14

        [smtp]
        host = "mail.example.com"
        starttls = true
        user = "ada"
        password_env = "ADA_SMTP_PASSWORD"
        from = "tinycrm <crm@example.com>"
        timeout = 5

        [sales]
        currency = "eur"

        [tui]
        theme = "light"
        start = "agenda"

        [keys]
        "contacts.search" = "ctrl+f"
        "app.quit" = ["q", "ctrl+q"]
    """)
    assert config.get(Core) == Core(f"sqlite:///{tmp_path}/crm.sqlite3", "ada", 14)
    smtp = config.get(Smtp)
    assert (smtp.host, smtp.port, smtp.starttls, smtp.user) == ("mail.example.com", 587, True, "ada")
    assert (smtp.sender, smtp.timeout, smtp.program) == ("tinycrm <crm@example.com>", 5.0, None)
    assert isinstance(smtp.timeout, float)
    assert config.get(Sales).currency == "EUR"
    assert config.get(Tui) == Tui(theme="light", start="agenda")
    assert config.get(Keys).bindings == {"contacts.search": "ctrl+f", "app.quit": "q,ctrl+q"}


def test_the_usual_port_follows_the_security(write):
    for text, port in (
        ("ssl = true", 465),
        ("starttls = true", 587),
        ("", 25),
        ("ssl = true\nport = 2465", 2465),
    ):
        write("[smtp]\n" + text + "\n")
        assert config.get(Smtp).port == port


def test_sendmail_true_or_a_program(write):
    write("[smtp]\nsendmail = true\n")
    assert config.get(Smtp).program == "/usr/sbin/sendmail"
    write('[smtp]\nsendmail = "/usr/bin/msmtp"\n')
    assert config.get(Smtp).program == "/usr/bin/msmtp"
    write("[smtp]\nsendmail = false\n")
    assert config.get(Smtp).program is None


def test_dotted_keys_and_inline_tables_are_the_same_settings(write):
    write('smtp.host = "a.example.com"\nsales = { currency = "GBP" }\n')
    assert config.get(Smtp).host == "a.example.com" and config.get(Sales).currency == "GBP"


def test_the_file_is_read_once(write):
    write('user = "ada"\n')
    assert config.get(Core).user == "ada"
    (Path(config.load().path)).write_text('user = "bob"\n')
    assert config.get(Core).user == "ada"
    config.reset()
    assert config.get(Core).user == "bob"


# --- the environment ------------------------------------------------------------------------------------


def test_environment_wins_over_the_file(write, monkeypatch):
    write('user = "ada"\nbirthday_lead_days = 3\n[smtp]\nport = 2525\nstarttls = true\n')
    monkeypatch.setenv("TINYCRM_USER", "bob")
    monkeypatch.setenv("TINYCRM_BIRTHDAY_LEAD_DAYS", "9")
    monkeypatch.setenv("TINYCRM_SMTP_PORT", "587")
    monkeypatch.setenv("TINYCRM_SMTP_STARTTLS", "no")
    monkeypatch.setenv("TINYCRM_SMTP_FROM", "crm@example.com")
    monkeypatch.setenv("TINYCRM_SALES_CURRENCY", "usd")
    monkeypatch.setenv("TINYCRM_DB", "")  # empty: not set
    config.reset()
    assert config.get(Core) == Core(db=None, user="bob", birthday_lead_days=9)
    smtp = config.get(Smtp)
    assert (smtp.port, smtp.starttls, smtp.sender) == (587, False, "crm@example.com")
    assert config.get(Sales).currency == "USD"
    by_key = {(s.section, s.key): s for s in config.load().sources}
    assert by_key["", "user"].origin == "environment" and by_key["", "user"].variable == "TINYCRM_USER"
    assert by_key["smtp", "from"].variable == "TINYCRM_SMTP_FROM"
    assert by_key["", "db"].origin == "default"


def test_a_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("TINYCRM_SMTP_PORT", "smtp")
    config.reset()
    with pytest.raises(InvalidInput) as info:
        config.load()
    assert info.value.message == (
        'TINYCRM_SMTP_PORT (environment): [smtp] port must be a whole number from 1 to 65535 (got "smtp")'
    )
    monkeypatch.setenv("TINYCRM_SMTP_PORT", "25")
    monkeypatch.setenv("TINYCRM_BIRTHDAY_LEAD_DAYS", "-1")
    config.reset()
    with pytest.raises(InvalidInput, match=r"^TINYCRM_BIRTHDAY_LEAD_DAYS \(environment\): birthday_lead"):
        config.load()


# --- errors: file, line, what is allowed ----------------------------------------------------------------


BAD = [
    (
        "[smtp]\nhost = 'x'\nprot = 587\n",
        "config.toml:3: [smtp] prot is not a setting (did you mean port?); settings: host, port, starttls, "
        "ssl, user, password_env, from, sendmail, timeout, ca_file, tls_verify",
    ),
    (
        "[smtp]\nport = 70000\n",
        "config.toml:2: [smtp] port must be a whole number from 1 to 65535 (got 70000)",
    ),
    ('[smtp]\nport = "25"\n', 'config.toml:2: [smtp] port must be a whole number from 1 to 65535 (got "25")'),
    ("[smtp]\n\nstarttls = 1\n", "config.toml:3: [smtp] starttls must be true or false (got 1)"),
    (
        '[smtp]\nfrom = "the crm"\n',
        'config.toml:2: [smtp] from must be an e-mail address such as "crm@example.com" or '
        '"tinycrm <crm@example.com>" (got "the crm")',
    ),
    ('[smtp]\nhost = "mail example com"\n', "config.toml:2: [smtp] host must be a host name"),
    ('[smtp]\npassword_env = "MY PASSWORD"\n', "config.toml:2: [smtp] password_env must be the name of an"),
    (
        '[smtp]\npassword = "s3cret"\n',
        "config.toml:2: [smtp] password does not belong in the config file; set",
    ),
    ('[smtp]\nuser = "ada"\n', "config.toml:2: [smtp] user is set but password_env is not"),
    (
        "[smtp]\nssl = true\nstarttls = true\n",
        "config.toml:2: [smtp] ssl and starttls are both true; choose one",
    ),
    ("[smtp]\ntimeout = 0\n", "config.toml:2: [smtp] timeout must be a number of seconds above 0"),
    (
        '[smtp]\nsendmail = ""\n',
        "config.toml:2: [smtp] sendmail must be true, false or the path of a sendmail",
    ),
    ('[sales]\ncurrency = "EUX"\n', "config.toml:2: [sales] currency must be an ISO 4217 code such as EUR"),
    (
        '[tui]\nstart = "deals"\n',
        "config.toml:2: [tui] start must be one of contacts, companies, pipeline, agenda",
    ),
    ('[tui]\ntheme = "blue"\n', "config.toml:2: [tui] theme must be one of dark, light, "),
    (
        '[keys]\n"contacts.serch" = "ctrl+f"\n',
        "config.toml:2: [keys] contacts.serch is not a binding id (did you mean contacts.search?); ids of "
        "contacts: contacts.search, contacts.new",
    ),
    ('[keys]\n"nope.x" = "x"\n', "config.toml:2: [keys] nope.x is not a binding id; areas: app, contacts"),
    ('[keys]\n"app.quit" = "ctrl q"\n', 'config.toml:2: [keys] app.quit must be a key name such as "slash"'),
    ('[keys]\n"app.quit" = ["q", 1]\n', "config.toml:2: [keys] app.quit must be a key name"),
    (
        "[smpt]\nport = 25\n",
        "config.toml:1: [smpt] is not a section (did you mean [smtp]?); sections: [smtp], [sales], [tui], [keys]",
    ),
    (
        "[tinycrm]\nuser = 'ada'\n",
        "config.toml:1: [tinycrm] is not a section (put db, user, birthday_lead_days",
    ),
    (
        "colour = true\n",
        "config.toml:1: colour is not a setting; settings at the top of the file: db, user, "
        "birthday_lead_days; sections: [smtp], [sales], [tui], [keys]",
    ),
    ('users = "ada"\n', "config.toml:1: users is not a setting (did you mean user?)"),
    ("birthday_lead_days = 400\n", "config.toml:1: birthday_lead_days must be a whole number from 0 to 366"),
    ("birthday_lead_days = 7.5\n", "config.toml:1: birthday_lead_days must be a whole number from 0 to 366"),
    ('db = "crm.sqlite3"\n', "config.toml:1: db must be a database URL: sqlite:///PATH or postgresql"),
    ("smtp = 25\n", "config.toml:1: smtp must be a table: write [smtp] on a line of its own"),
    ("[smtp]\nport = \n", "config.toml:2: not valid TOML: Invalid value (column 8)"),
    ('user = "ada"\nuser = "bob"\n', "config.toml:2: not valid TOML: Cannot overwrite a value"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[b[1].split(": ", 1)[1][:40] for b in BAD])
def test_bad_settings_name_the_file_line_and_what_is_allowed(write, text, expected):
    assert error(write, text).startswith(expected)


def test_a_password_in_a_database_url_is_never_repeated(write):
    message = error(write, 'db = "mysql://bob:s3cret@db/crm"\n')
    assert "s3cret" not in message and "bob:***@db" in message


def test_the_file_as_a_whole(write, _isolated_home):
    (_isolated_home / "config.toml").write_bytes(b'user = "\xff"\n')
    config.reset()
    with pytest.raises(InvalidInput, match=r"config.toml:1: not UTF-8 text"):
        config.load()
    (_isolated_home / "config.toml").unlink()
    (_isolated_home / "config.toml").mkdir()
    config.reset()
    with pytest.raises(InvalidInput, match=r"config.toml: is a folder"):
        config.load()


def test_the_first_problem_is_reported_with_its_own_line(write):
    text = """
        # tinycrm settings
        user = "ada"

        [smtp]   # the mail server
        host = "mail.example.com"
        'port' = 587
        "from" = '''
        not an address
        '''
        [sales]
        currency = "XXX"
    """
    assert error(write, text).startswith("config.toml:7: [smtp] from must be an e-mail address")


# --- the line finder ------------------------------------------------------------------------------------


def test_key_lines_follow_toml_layout():
    text = textwrap.dedent('''\
        user = "ada"            # 1
        smtp.port = 25          # 2
        [ tui ]                 # 3
        theme = """             # 4
        [keys]
        start = "x"
        """
        start = "agenda"        # 8
        list = [                # 9
          "a = b",
          "[sales]",
        ]
        [keys]                  # 13
        "contacts.search" = "/" # 14
        'app.quit' = "q"        # 15
        [[things]]              # 16
        a.b."c.d" = 1           # 17
        inline = { x = 1 }      # 18
        ''')
    lines = key_lines(text)
    assert lines[("user",)] == 1
    assert lines[("smtp",)] == 2 and lines[("smtp", "port")] == 2
    assert lines[("tui",)] == 3 and lines[("tui", "theme")] == 4 and lines[("tui", "start")] == 8
    assert lines[("tui", "list")] == 9 and ("sales",) not in lines
    assert lines[("keys",)] == 13 and ("keys", "start") not in lines
    assert lines[("keys", "contacts.search")] == 14 and lines[("keys", "app.quit")] == 15
    assert lines[("things",)] == 16 and lines[("things", "a", "b", "c.d")] == 17
    assert lines[("things", "inline")] == 18


# --- the mechanism: one dataclass and one line ----------------------------------------------------------


@dataclass(frozen=True)
class Web(Section):
    """A section as a later one would be added."""

    #: the port to listen on
    port: int = setting(8000, check=between(1024, 65535))
    #: whether to open the browser
    open_browser: bool = True


def test_a_new_section_is_one_dataclass_and_one_line(write, monkeypatch):
    monkeypatch.setitem(SECTIONS, "web", Web)
    write("[web]\nport = 8080\n")
    assert config.get(Web) == Web(port=8080, open_browser=True)
    monkeypatch.setenv("TINYCRM_WEB_OPEN_BROWSER", "false")
    config.reset()
    assert config.get(Web).open_browser is False
    sources = {s.key: s.origin for s in config.load().sources if s.section == "web"}
    assert sources == {"port": "file", "open_browser": "environment"}
    assert error(write, "[web]\nport = 80\n") == (
        "config.toml:2: [web] port must be a whole number from 1024 to 65535 (got 80)"
    )
    assert error(write, "[web]\nhost = 'x'\n").startswith("config.toml:2: [web] host is not a setting")


def test_every_field_has_a_comment():
    for name, cls in SECTIONS.items():
        assert cls.__doc__, name
        source = textwrap.dedent(inspect.getsource(cls))
        lines = source.splitlines()
        for node in ast.parse(source).body[0].body:
            if isinstance(node, ast.AnnAssign) and "ClassVar" not in ast.unparse(node.annotation):
                assert lines[node.lineno - 2].strip().startswith("#:"), (
                    f"{cls.__name__}.{ast.unparse(node.target)} has no #: comment above it"
                )


def test_docs_name_every_section_and_setting():
    doc = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for name, cls in SECTIONS.items():
        if name:
            assert f"[{name}]" in doc, name
        if not cls.OPEN:
            for f in fields(cls):
                key = f.metadata.get("key") or f.name
                assert f"`{key}`" in doc, f"docs/config.md does not document {name or 'top'}.{key}"
                assert config.env_var(name, key) in doc


def test_the_lists_the_checks_use_match_the_app():
    from textual.theme import BUILTIN_THEMES

    from tinycrm.config import sections
    from tinycrm.tui.app import AREAS, THEMES

    assert sections.AREAS == AREAS
    assert set(sections.THEMES) == set(BUILTIN_THEMES) | set(THEMES) | set(THEMES.values())
