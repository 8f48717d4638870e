"""A typed error keeps the ``crm`` command that fixes it apart from what went wrong: the command line prints both
(``str``), the API, the web app and the full-screen app show the message alone."""

from __future__ import annotations

import pytest

from tinycrm.domain.errors import EXIT_USAGE, CrmError, InvalidInput, NotFound


def test_the_command_line_gets_the_message_and_the_hint_the_other_faces_the_message():
    exc = NotFound("no contact with id 7", hint="find one with: crm search NAME", field="contact")
    assert str(exc) == exc.full_message == "no contact with id 7; find one with: crm search NAME"
    assert exc.message == "no contact with id 7"
    assert exc.hint == "find one with: crm search NAME"
    assert exc.field == "contact" and exc.exit_code == EXIT_USAGE
    assert exc.args == ("no contact with id 7; find one with: crm search NAME",)
    with pytest.raises(NotFound, match=r"^no contact with id 7; find one with: crm search NAME$"):
        raise exc


@pytest.mark.parametrize("hint", [None, ""])
def test_without_a_hint_both_are_the_message(hint):
    exc = InvalidInput("give an id or an email address", hint=hint)
    assert str(exc) == exc.full_message == exc.message == "give an id or an email address"
    assert exc.field is None and exc.args == ("give an id or an email address",)


def test_a_changed_message_or_hint_shows_in_the_line():
    exc = CrmError("a form named 'x' exists", hint="choose another name or crm form remove it")
    exc.hint += "; your edits are kept in /tmp/x"
    assert (
        str(exc)
        == "a form named 'x' exists; choose another name or crm form remove it; your edits are kept in /tmp/x"
    )
    assert exc.message == "a form named 'x' exists"


def test_a_hint_going_on_from_the_message_follows_it_directly():
    """Advice that holds on every face stays in the message; the command that carries it out is the hint."""
    exc = InvalidInput("deal 5 is won; reopen it first to edit it", hint=": crm deal reopen 5")
    assert str(exc) == "deal 5 is won; reopen it first to edit it: crm deal reopen 5"
    assert exc.message == "deal 5 is won; reopen it first to edit it"
    listed = InvalidInput("pipeline 'x' holds 2 deal(s); move or delete them first", hint=" (crm deal list)")
    assert str(listed) == "pipeline 'x' holds 2 deal(s); move or delete them first (crm deal list)"
