"""``crm config show|check|path``, and a bad config file as every command meets it: one line, exit 2."""

import json
import os
import subprocess
import sys
import textwrap

import pytest


def write(home, text: str) -> None:
    (home / "config.toml").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def test_path_exists_or_not(sqlite_cli, _isolated_home):
    path = _isolated_home / "config.toml"
    r = sqlite_cli("config", "path")
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"{path}\n", "")
    assert sqlite_cli("config", "path", "--json").json == {"path": str(path), "exists": False}
    write(_isolated_home, "[smtp]\nprot = 1\n")  # a broken file has a path too
    assert sqlite_cli("config", "path", "--json").json == {"path": str(path), "exists": True}


def test_check(sqlite_cli, _isolated_home):
    path = _isolated_home / "config.toml"
    r = sqlite_cli("config", "check")
    assert (r.exit_code, r.stdout) == (0, f"{path}: no such file; the defaults apply\n")
    write(_isolated_home, '[sales]\ncurrency = "EUR"\n')
    r = sqlite_cli("config", "check")
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"{path}: ok\n", "")
    write(_isolated_home, '[sales]\ncurrency = "EUR"\n\n[smtp]\nhost = "mail.example.com"\nprot = 587\n')
    r = sqlite_cli("config", "check")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == (
        f"crm: error: {path}:6: [smtp] prot is not a setting (did you mean port?); settings: host, port, "
        "starttls, ssl, user, password_env, from, sendmail, timeout, ca_file, tls_verify\n"
    )
    write(_isolated_home, '[sales]\ncurrency = "EUR"\n')
    r = sqlite_cli("config", "check", env={"TINYCRM_SALES_CURRENCY": "euro"})
    assert r.exit_code == 2 and r.stderr.startswith(
        "crm: error: TINYCRM_SALES_CURRENCY (environment): [sales]"
    )


def test_show_says_where_each_setting_came_from(sqlite_cli, _isolated_home, monkeypatch):
    write(
        _isolated_home,
        """
        birthday_lead_days = 10

        [smtp]
        host = "mail.example.com"
        user = "ada"
        password_env = "ADA_SMTP_PASSWORD"

        [keys]
        "contacts.search" = "ctrl+f"
        """,
    )
    env = {"TINYCRM_SMTP_STARTTLS": "true", "ADA_SMTP_PASSWORD": "s3cret-value"}
    r = sqlite_cli("config", "show", env=env)
    assert r.exit_code == 0, r.stderr
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in r.stdout.splitlines()}
    assert rows["birthday_lead_days"] == ["10", "file:1"]
    assert rows["smtp.host"] == ["mail.example.com", "file:4"]
    assert rows["smtp.starttls"] == ["true", "env TINYCRM_SMTP_STARTTLS"]
    assert rows["smtp.port"] == ["587", "default"]
    assert rows["smtp.password_env"] == ["ADA_SMTP_PASSWORD", "file:6"]
    assert rows["user"] == ["tester", "env TINYCRM_USER"]
    assert rows["tui.start"] == ["contacts", "default"]
    assert rows["keys.contacts.search"] == ["ctrl+f", "file:9"]
    assert rows["db"] == [sqlite_cli.url, "option --db"]
    assert "s3cret-value" not in r.stdout

    data = sqlite_cli("config", "show", "--json", env=env).json
    by_key = {(d["section"], d["key"]): d for d in data}
    assert by_key["smtp", "host"] == {
        "section": "smtp",
        "key": "host",
        "value": "mail.example.com",
        "source": "file",
        "line": 4,
        "variable": None,
    }
    assert by_key["smtp", "starttls"]["variable"] == "TINYCRM_SMTP_STARTTLS"
    assert by_key["smtp", "timeout"] == {
        "section": "smtp",
        "key": "timeout",
        "value": 30.0,
        "source": "default",
        "line": None,
        "variable": None,
    }


def test_show_never_prints_a_database_password(_isolated_home, capsys, monkeypatch):
    from tinycrm import config
    from tinycrm.cli import run
    from tinycrm.cli.app import build

    write(_isolated_home, 'db = "postgresql+psycopg://bob:s3cret@db.example.com/crm"\n')
    config.reset()
    assert run(build(), ["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "postgresql+psycopg://bob:***@db.example.com/crm\tfile:1" in out and "s3cret" not in out
    config.reset()
    assert run(build(), ["config", "show", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["value"] == "postgresql+psycopg://bob:***@db.example.com/crm"
    monkeypatch.setenv("TINYCRM_DB", "postgresql+psycopg://bob:other-secret@db.example.com/crm")
    config.reset()
    assert run(build(), ["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "postgresql+psycopg://bob:***@db.example.com/crm\tenv TINYCRM_DB" in out and "secret" not in out


def test_a_bad_file_stops_every_command_that_reads_it(sqlite_cli, _isolated_home):
    write(_isolated_home, "[smtp]\nport = 70000\n")
    for args in (["add-contact", "Ada"], ["config", "show"], ["remind"], ["agenda"]):
        r = sqlite_cli(*args)
        assert r.exit_code == 2, args
        assert r.stderr.strip().splitlines() == [
            f"crm: error: {_isolated_home / 'config.toml'}:2: [smtp] port must be a whole number from 1 to "
            "65535 (got 70000)"
        ]
    # without --db the database URL is a setting: even a read checks the file
    from tinycrm import config
    from tinycrm.cli import run
    from tinycrm.cli.app import build

    config.reset()
    assert run(build(), ["search", "ada"]) == 2
    (_isolated_home / "config.toml").unlink()
    r = sqlite_cli("search", "ada")
    assert r.exit_code == 0 and r.stdout == ""  # nothing was added by the failed add-contact


def test_help_never_reads_the_config_file(tmp_path):
    home = tmp_path / "broken-home"
    home.mkdir()
    (home / "config.toml").write_text("this is [not toml\n")
    code = (
        "import sys\nsys.argv = ['crm', '--help']\nfrom tinycrm.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print('CONFIG' if 'tinycrm.config' in sys.modules else 'NO-CONFIG', code)\n"
    )
    env = {**os.environ, "TINYCRM_HOME": str(home)}
    env.pop("TINYCRM_DB", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("NO-CONFIG 0"), (out.stdout, out.stderr)
    assert "config" in out.stdout


def test_an_unknown_binding_id_stops_the_app(_isolated_home, sqlite_url):
    from tinycrm import config
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.tui.app import make_app

    write(_isolated_home, '[keys]\n"contacts.search" = "ctrl+f"\n"nope.nothing" = "x"\n')
    config.reset()
    with pytest.raises(InvalidInput, match=r"config.toml:3: \[keys\] nope.nothing is not a binding id"):
        make_app(sqlite_url, testing=True)
