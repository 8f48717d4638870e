"""The tables of signing in: passwords, API tokens and failed sign-in attempts.

- ``user_passwords``: one row per user who may sign in to the web app: an argon2 hash (never the password).
- ``api_tokens``: tokens for programs. The secret is shown once; only its SHA-256 is kept (a secret of 256 random
  bits cannot be guessed from its hash, so a slow hash would only slow every API request down).
- ``sign_in_failures``: failed password attempts per user name (also names that are no user), for the rate limit
  and the lock-out; shared by every server process because it lives in the database.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tinycrm.store.schema import IDS_NEVER_REUSED, _fk, _ts


class UserPassword(SQLModel, table=True):
    __tablename__ = "user_passwords"
    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    #: argon2id, in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash)
    password_hash: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    changed_at: datetime = Field(sa_column=_ts())


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = IDS_NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("users.id", "CASCADE", nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: read or write
    scope: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    #: hex SHA-256 of the secret
    secret_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=_ts())
    expires_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class SignInFailure(SQLModel, table=True):
    __tablename__ = "sign_in_failures"
    #: the name typed at sign-in, casefolded (a user's or not)
    name: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    failures: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    first_at: datetime = Field(sa_column=_ts())
    locked_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
