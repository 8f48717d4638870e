"""``[mail]``: its defaults, its accounts, and the values it refuses (with the file's line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinycrm import config
from tinycrm.config.mail import Mail
from tinycrm.domain.errors import InvalidInput


def _load(home: Path, text: str) -> Mail:
    (home / "config.toml").write_text(text)
    config.reset()
    return config.get(Mail)


def test_defaults_without_a_file():
    mail = config.get(Mail)
    assert (mail.max_attachment_mb, mail.max_attachment_bytes) == (10.0, 10 * 1024 * 1024)
    assert mail.account_names() == []


def test_accounts_take_what_they_do_not_set_from_mail(_isolated_home):
    mail = _load(
        _isolated_home,
        '[mail]\nhost = "imap.example.com"\nuser = "ada"\npassword_env = "IMAP_PW"\nafter = "move:Logged"\n'
        '[mail.accounts.support]\nuser = "support@example.com"\nsecurity = "starttls"\n',
    )
    assert mail.account_names() == ["default", "support"]
    default = mail.account("default")
    assert (default.host, default.port, default.security, default.after) == (
        "imap.example.com",
        993,
        "tls",
        "move:Logged",
    )
    support = mail.account("support")
    assert (support.host, support.port, support.user, support.password_env) == (
        "imap.example.com",
        143,
        "support@example.com",
        "IMAP_PW",
    )
    with pytest.raises(KeyError):
        mail.account("nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[mail]\npassword = "x"\n', ":2: [mail] password does not belong in the config file"),
        (
            '[mail]\n[mail.accounts.a]\npassword = "x"\n',
            "accounts.a: password does not belong in the config file",
        ),
        (
            '[mail]\nhost = "imap.example.com"\nsecurity = "plain"\n',
            'security = "plain" would send the password',
        ),
        ('[mail]\nafter = "delete"\n', '[mail] after must be "seen" or "move:FOLDER"'),
        ('[mail]\nsecurity = "ssl"\n', "[mail] security must be one of tls, starttls, plain"),
        ("[mail]\nmax_attachment_mb = -1\n", "[mail] max_attachment_mb must be a number of megabytes"),
        ('[mail.accounts.a]\nfolder = ""\n', "accounts.a: folder must be a mailbox folder name"),
        ('[mail.accounts.a]\nhots = "x"\n', "accounts.a: hots is not a setting"),
    ],
)
def test_bad_values_are_refused_with_the_file_and_what_is_allowed(_isolated_home, text, message):
    with pytest.raises(InvalidInput) as caught:
        _load(_isolated_home, text)
    assert message in caught.value.message and "\n" not in caught.value.message


def test_plain_is_allowed_to_this_machine(_isolated_home):
    mail = _load(_isolated_home, '[mail]\nhost = "127.0.0.1"\nsecurity = "plain"\n')
    assert mail.account("default").port == 143
