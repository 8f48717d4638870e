"""``crm hook add|list|test|remove`` and ``crm hooks deliver|failed|retry`` as a person (and cron) runs them."""

from __future__ import annotations

import json

import pytest

from hook_receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_add_test_deliver_list_remove(cli, receiver):
    assert cli("add-contact", "Ada Lovelace").exit_code == 0
    added = cli("hook", "add", receiver.url, "--event", "contact.created", "-e", "deal.won")
    assert added.exit_code == 0, added.stderr
    hook_id, secret = added.stdout.split()
    assert secret.startswith("whsec_") and "shown this once" in added.stderr
    receiver.secret = secret

    tested = cli("hook", "test", hook_id)
    assert (tested.exit_code, tested.stdout.strip()) == (0, "ok")
    assert receiver.accepted()[0].event["type"] == "hook.test"

    assert cli("add-contact", "Grace Hopper").exit_code == 0
    quiet = cli("hooks", "deliver")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")  # cron: silent
    assert [r.event["data"]["display_name"] for r in receiver.accepted()[1:]] == ["Grace Hopper"]
    assert receiver.bad_signatures == 0

    [listed] = json.loads(cli("hook", "list", "--json").stdout)
    assert listed["events"] == ["contact.created", "deal.won"] and listed["secret"] == "stored"
    assert secret not in cli("hook", "list", "--json").stdout  # the secret is never shown again
    assert cli("hook", "remove", hook_id).exit_code == 0
    assert json.loads(cli("hook", "list", "--json").stdout) == []
    assert cli("hook", "remove", hook_id).exit_code == 2


def test_a_secret_from_the_environment_and_a_failing_receiver(cli, receiver):
    receiver.secret, receiver.fail_first = "whsec_" + "QUJD" * 8, 1000
    added = cli("hook", "add", receiver.url, "-e", "*", "--secret-env", "HOOK_SECRET", "--json")
    assert added.exit_code == 0 and json.loads(added.stdout)["secret"] is None
    assert cli("hook", "test", "1").exit_code == 1  # the variable is not set
    failed = cli("hook", "test", "1", env={"HOOK_SECRET": receiver.secret})
    assert failed.exit_code == 1 and "HTTP 500" in failed.stdout
    assert receiver.bad_signatures == 0
    cli("add-contact", "Ada Lovelace")
    cli("hooks", "deliver", env={"HOOK_SECRET": receiver.secret})
    [hook] = json.loads(cli("hook", "list", "--json").stdout)
    assert (hook["pending"], hook["failed"]) == (1, 0)
    assert json.loads(cli("hooks", "failed", "--json").stdout) == []


@pytest.mark.parametrize(
    "args",
    [
        ("hook", "add", "ftp://example.com/x", "-e", "deal.won"),
        ("hook", "add", "https://example.com/x", "-e", "deal.eaten"),
        ("hook", "add", "https://example.com/x", "-e", "deal.won", "--secret-env", "not a name"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, args):
    cli("add-contact", "Ada Lovelace")
    result = cli(*args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert json.loads(cli("hook", "list", "--json").stdout) == []
