"""Standard Webhooks signatures: ``v1,`` and the base64 HMAC-SHA256 of ``ID.TIMESTAMP.BODY``, keyed with the
secret's bytes (the base64 after ``whsec_``; a secret without that prefix is used as it is)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_") :])
    return secret.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key(secret), signed, hashlib.sha256).digest()).decode("ascii")


def verify(secret: str, msg_id: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether any signature of a ``webhook-signature`` header (space-separated) matches."""
    wanted = sign(secret, msg_id, int(timestamp), body)
    return any(hmac.compare_digest(wanted, given) for given in header.split())
