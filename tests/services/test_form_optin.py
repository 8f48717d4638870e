"""Double opt-in on both stores, with a real SMTP server: a mail server that is down keeps the confirmation
queued (``crm form send`` exits 75) and it goes out once, later; an expired link confirms nothing."""

from __future__ import annotations

import time

from mail_testkit import smtp, support_config  # noqa: F401 - the SMTP server fixture
from tinycrm.services import form_optin, forms


def test_a_mail_server_that_is_down_delays_the_mail_but_never_doubles_it(
    db,
    smtp,  # noqa: F811 - the fixture
    clock,
    cli,
    _isolated_home,
):
    inbox, port = smtp
    clock("2026-12-07T10:00:00+00:00", tz="UTC")
    support_config(_isolated_home, None)  # [smtp] at a port nothing listens on
    form = forms.add_form(db, "News", ["name", "email"], double_opt_in=True)
    posted = forms.submit(
        db, form.key, {"name": "Mae", "email": "mae@example.com"}, "192.0.2.1", "https://crm.test"
    )
    assert posted.lead_id is None and posted.optin_id is not None

    down = cli("form", "send", "--json")  # cron, with the mail server down
    assert down.exit_code == 75 and down.json["retrying"] == 1 and "try again later" in down.json["error"]
    support_config(_isolated_home, port)
    assert form_optin.send_due(db).sent == 0  # not before its backoff
    clock("2026-12-07T10:02:00+00:00", tz="UTC")
    assert form_optin.send_due(db) == form_optin.Sent(sent=1)
    assert form_optin.send_due(db) == form_optin.Sent()
    (sender, rcpts, message, _raw) = inbox.messages[0]
    assert rcpts == ["mae@example.com"] and len(inbox.messages) == 1
    link = next(line for line in message.get_content().splitlines() if "/f/confirm/" in line)
    assert link.startswith("https://crm.test/f/confirm/")
    token = link.rsplit("/", 1)[1]

    real = time.time
    try:
        time.time = lambda: real() + 8 * 86400  # itsdangerous reads the system clock
        expired = form_optin.confirm(db, token)
    finally:
        time.time = real
    assert expired is not None and expired.expired and not expired.confirmed
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM leads") == 0
    done = form_optin.confirm(db, token)
    assert done is not None and done.confirmed and done.lead_id
