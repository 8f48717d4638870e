"""Web forms: a website's contact form posting straight into tinycrm as a lead.

``crm form add`` makes a form with a random public key (``/f/KEY`` of ``crm serve``) and the fields it takes;
:func:`submit` is what the server calls for each POST. A submission takes only the form's fields (the rest is
dropped, never stored), within the size limits of the leads' web-form rules, ignores a filled honeypot field
(a bot: nothing stored, and it is not told), and accepts at most :data:`LIMIT` posts per sending address per
form in :data:`WINDOW`. The lead, its tags and the record of the post are one transaction. A double opt-in form
(``--double-opt-in``) makes no lead yet: the post waits for its address to confirm it
(:mod:`tinycrm.services.form_optin`).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import EXIT_TEMPFAIL, Conflict, CrmError, InvalidInput, NotFound
from tinycrm.services.common import now
from tinycrm.store.database import Database, Tx, as_datetime

#: the fields a form may take (those of a lead from a web form): label, input type and autocomplete token, for
#: the HTML snippet and the form's own page
FIELD_LABELS = {
    "name": ("Name", "text", "name"),
    "email": ("Email", "email", "email"),
    "phone": ("Phone", "tel", "tel"),
    "company": ("Company", "text", "organization"),
    "title": ("Job title", "text", "organization-title"),
    "message": ("Message", "textarea", "off"),
    "value": ("Budget", "text", "off"),
    "currency": ("Currency", "text", "off"),
}
FIELDS = tuple(FIELD_LABELS)
LIMIT = 5
WINDOW = timedelta(minutes=10)
#: how long a post is remembered (for the limit); older ones are deleted as new ones come
KEEP = timedelta(days=1)
_URL = re.compile(r"https?://[^\s<>\"'\\]+", re.IGNORECASE)


class TooManyPosts(CrmError):
    """The address posted the form too often; later it may again (HTTP 429)."""

    exit_code = EXIT_TEMPFAIL


@dataclass(frozen=True)
class WebFormRead:
    id: int
    name: str
    key: str
    fields: list[str]
    redirect: str | None
    tags: list[str]
    created_at: datetime | None
    double_opt_in: bool = False

    def path(self) -> str:
        return f"/f/{self.key}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "key": self.key,
            "path": self.path(),
            "fields": self.fields,
            "redirect": self.redirect,
            "tags": self.tags,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "double_opt_in": self.double_opt_in,
        }


@dataclass(frozen=True)
class Posted:
    """What a submission became: the lead (None for a bot, which is told nothing else), where to go next."""

    lead_id: int | None
    redirect: str | None
    form: str
    #: a double opt-in form: the post waits for its confirmation (this one), and its mail is queued
    optin_id: int | None = None


def _read(row: Any) -> WebFormRead:
    return WebFormRead(
        row["id"],
        row["name"],
        row["key"],
        json.loads(row["fields"]),
        row["redirect"],
        json.loads(row["tags"]),
        as_datetime(row["created_at"]),
        bool(row["double_opt_in"]),
    )


_SELECT = "SELECT id, name, key, fields, redirect, tags, created_at, double_opt_in FROM web_forms"


def check_fields(fields: list[str]) -> list[str]:
    wanted = [f.strip().lower() for f in fields if f.strip()]
    unknown = [f for f in wanted if f not in FIELDS]
    if unknown:
        raise InvalidInput(f"unknown form field {unknown[0]!r}; a form takes {', '.join(FIELDS)}")
    if "name" not in wanted and "email" not in wanted:
        raise InvalidInput("a form needs name or email among its --fields (a lead needs one of them)")
    return list(dict.fromkeys(wanted))


def check_redirect(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    if not _URL.fullmatch(url) or len(url) > 2000:
        raise InvalidInput(
            f"--redirect must be an http:// or https:// address on one line (got {url[:80]!r})"
        )
    return url


def add_form(
    db: Database,
    name: str,
    fields: list[str],
    *,
    redirect: str | None = None,
    tags: list[str] | None = None,
    double_opt_in: bool = False,
) -> WebFormRead:
    """A new form with a random key (160 bits: the address cannot be guessed); ``double_opt_in``: its posts
    become leads once their address confirms them (the form then needs the email field)."""
    name = v.line(name, "form name", max_len=100) or ""
    if not name:
        raise InvalidInput("a form needs a name")
    taken = check_fields(fields)
    if double_opt_in and "email" not in taken:
        raise InvalidInput("a double opt-in form confirms by mail: add email to its --fields")
    target = check_redirect(redirect)
    clean_tags = [v.line(t, "tag", max_len=100) for t in tags or []]
    with db.write() as tx:
        if tx.scalar("SELECT id FROM web_forms WHERE name = :n", {"n": name}) is not None:
            raise Conflict(f"a form named {name!r} exists", hint="choose another name or crm form remove it")
        tx.execute(
            "INSERT INTO web_forms (name, key, fields, redirect, tags, created_at, double_opt_in) "
            "VALUES (:n, :k, :f, :r, :t, :c, :d)",
            {
                "n": name,
                "k": secrets.token_urlsafe(20),
                "f": json.dumps(taken),
                "r": target,
                "t": json.dumps([t for t in clean_tags if t]),
                "c": now(),
                "d": bool(double_opt_in),
            },
        )
        return _read(tx.one(f"{_SELECT} WHERE name = :n", {"n": name}))


def list_forms(db: Database) -> list[WebFormRead]:
    with db.read() as tx:
        return [_read(r) for r in tx.all(f"{_SELECT} ORDER BY name")]


def _find(tx: Tx, ref: str) -> WebFormRead:
    row = tx.one(f"{_SELECT} WHERE name = :r OR key = :r", {"r": ref})
    if row is None:
        raise NotFound(f"no form {ref!r}", hint="crm form list shows them")
    return _read(row)


def get_form(db: Database, ref: str) -> WebFormRead:
    with db.read() as tx:
        return _find(tx, ref)


def edit_form(
    db: Database,
    ref: str,
    *,
    name: str | None = None,
    fields: list[str] | None = None,
    redirect: str | None = None,
    tags: list[str] | None = None,
    double_opt_in: bool | None = None,
) -> WebFormRead:
    """Change a form; None leaves a setting as it is. ``redirect`` ``""`` removes the redirect, ``tags`` replaces
    the tags (``[]``: none). The key stays, so the address pasted into a website keeps working; posts already
    waiting for their confirmation stay confirmable whatever ``double_opt_in`` becomes."""
    if name is None and fields is None and redirect is None and tags is None and double_opt_in is None:
        raise InvalidInput(
            "nothing to change: give --name, --fields, --redirect, --tag/--no-tags or --double-opt-in/"
            "--no-double-opt-in"
        )
    new_name = None if name is None else (v.line(name, "form name", max_len=100) or "")
    if new_name == "":
        raise InvalidInput("a form needs a name: --name must not be empty")
    taken = None if fields is None else check_fields(fields)
    target = None if redirect is None else check_redirect(redirect)
    clean_tags = None if tags is None else [t for t in (v.line(t, "tag", max_len=100) for t in tags) if t]
    with db.write() as tx:
        form = _find(tx, ref)
        if double_opt_in if double_opt_in is not None else form.double_opt_in:
            if "email" not in (taken if taken is not None else form.fields):
                raise InvalidInput("a double opt-in form confirms by mail: add email to its --fields")
        if new_name is not None and new_name != form.name:
            if tx.scalar("SELECT id FROM web_forms WHERE name = :n", {"n": new_name}) is not None:
                raise Conflict(f"a form named {new_name!r} exists; choose another --name")
        tx.execute(
            "UPDATE web_forms SET name = :n, fields = :f, redirect = :r, tags = :t, double_opt_in = :d "
            "WHERE id = :i",
            {
                "i": form.id,
                "n": new_name if new_name is not None else form.name,
                "f": json.dumps(taken if taken is not None else form.fields),
                "r": target if redirect is not None else form.redirect,
                "t": json.dumps(clean_tags if clean_tags is not None else form.tags),
                "d": bool(double_opt_in if double_opt_in is not None else form.double_opt_in),
            },
        )
        return _read(tx.one(f"{_SELECT} WHERE id = :i", {"i": form.id}))


def remove_form(db: Database, ref: str) -> WebFormRead:
    """Remove a form: its address stops answering (404). The leads it brought stay."""
    with db.write() as tx:
        form = _find(tx, ref)
        tx.execute("DELETE FROM web_forms WHERE id = :i", {"i": form.id})
        return form


def form_by_key(db: Database, key: str) -> WebFormRead:
    with db.read() as tx:
        row = tx.one(f"{_SELECT} WHERE key = :k", {"k": key})
    if row is None:
        raise NotFound("no such form (it may have been removed)")
    return _read(row)


def _sender(remote_addr: str | None) -> str:
    return hashlib.sha256((remote_addr or "unknown").encode("utf-8", "replace")).hexdigest()


def submit(
    db: Database, key: str, fields: Mapping[str, Any], remote_addr: str | None, link_base: str = ""
) -> Posted:
    """One POST to ``/f/KEY``: a lead with the form's tags, or nothing for a bot; :class:`TooManyPosts` past
    the limit, :class:`InvalidInput` for values the lead rules refuse, :class:`NotFound` for an unknown key.
    A double opt-in form: the post waiting for its confirmation, whose link starts with ``link_base``."""
    from tinycrm.services.leads.records import insert
    from tinycrm.services.leads.webform import HONEYPOTS, clean_fields

    moment = now()
    sender = _sender(remote_addr)
    with db.write() as tx:
        row = tx.one(f"{_SELECT} WHERE key = :k", {"k": key})
        if row is None:
            raise NotFound("no such form (it may have been removed)")
        form = _read(row)
        # posts of one address at once (several server processes, or threads) count one after the other
        tx.lock(f"forms:post:{form.id}:{sender}")
        tx.execute("DELETE FROM web_form_posts WHERE at < :old", {"old": moment - KEEP})
        recent = tx.scalar(
            "SELECT count(*) FROM web_form_posts WHERE form_id = :f AND sender = :s AND at >= :since",
            {"f": form.id, "s": sender, "since": moment - WINDOW},
        )
        if int(recent or 0) >= LIMIT:
            raise TooManyPosts("too many posts of this form from your address; try again in a few minutes")
        taken = {k: fields[k] for k in (*form.fields, *HONEYPOTS) if k in fields}
        data = clean_fields(taken, form=form.name)
        if data is None:  # a bot filled the honeypot
            return Posted(None, form.redirect, form.name)
        if form.double_opt_in:
            return _wait_for_confirmation(tx, form, taken, data.email, remote_addr, link_base, sender, moment)
        data.tags = list(form.tags)
        if remote_addr:
            data.fields = {"remote_addr": str(remote_addr)[:100]}
        lead_id = insert(tx, data)
        tx.execute(
            "INSERT INTO web_form_posts (form_id, sender, at) VALUES (:f, :s, :a)",
            {"f": form.id, "s": sender, "a": moment},
        )
        return Posted(lead_id, form.redirect, form.name)


def _wait_for_confirmation(
    tx: Tx,
    form: WebFormRead,
    taken: dict[str, Any],
    email: str | None,
    remote_addr: str | None,
    link_base: str,
    sender: str,
    moment: datetime,
) -> Posted:
    from tinycrm.services import form_optin

    if not email:
        raise InvalidInput("this form confirms by mail: give an email address", field="email")
    v.email(email)
    kept = {k: str(val) for k, val in taken.items() if k in form.fields}
    if remote_addr:
        kept["_remote_addr"] = str(remote_addr)[:100]
    optin = form_optin.queue(tx, form.id, kept, email, link_base or "http://127.0.0.1:8484")
    tx.execute(
        "INSERT INTO web_form_posts (form_id, sender, at) VALUES (:f, :s, :a)",
        {"f": form.id, "s": sender, "a": moment},
    )
    return Posted(None, form.redirect, form.name, optin)


def snippet(form: WebFormRead, base_url: str) -> str:
    """HTML to paste into a website: the form's fields, the hidden honeypot, posting to tinycrm."""
    from html import escape

    action = escape(base_url.rstrip("/") + form.path(), quote=True)
    lines = [f'<form method="post" action="{action}">']
    for field in form.fields:
        if field == "message":
            lines.append(
                '  <label>Message <textarea name="message" rows="5" maxlength="10000"></textarea></label>'
            )
            continue
        label, kind, auto = FIELD_LABELS[field]
        required = " required" if field in ("email",) else ""
        lines.append(
            f'  <label>{label} <input type="{kind}" name="{field}" autocomplete="{auto}"{required}></label>'
        )
    lines.append(
        '  <div style="position:absolute;left:-10000px" aria-hidden="true">'
        '<input type="text" name="website_url" tabindex="-1" autocomplete="off"></div>'
    )
    lines.append('  <button type="submit">Send</button>')
    lines.append("</form>")
    return "\n".join(lines)
