"""Helpers of the API's tests: a database with users and tokens of each kind, and JSON over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class Tokens:
    write: str  # ada, an admin, scope write
    read: str  # ada, scope read
    viewer: str  # vic, a viewer, scope write (a viewer still may not write)


def seed_accounts(db_url: str) -> Tokens:
    from tinycrm.services.team import accounts, users
    from tinycrm.store.database import open_db

    db = open_db(db_url)
    try:
        db.actor = "ada"  # type: ignore[attr-defined]  (the first user to act is the admin)
        users.add(db, "vic", role="viewer")
        return Tokens(
            write=accounts.create_token(db, "ada", "tests", "write")[1],
            read=accounts.create_token(db, "ada", "tests read", "read")[1],
            viewer=accounts.create_token(db, "vic", "tests viewer", "write")[1],
        )
    finally:
        db.close()


@dataclass
class Reply:
    status: int
    doc: Any
    headers: Any


def call(
    base: str, method: str, path: str, token: str | None = None, body: Any = None, raw: bytes | None = None
) -> Reply:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            status, got = response.status, response.headers
    except urllib.error.HTTPError as exc:
        text, status, got = exc.read(), exc.code, exc.headers
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = text.decode("utf-8", "replace")
    return Reply(status, doc, got)
