"""Opaque, tamper-checked page cursors around DynamoDB's LastEvaluatedKey.

A cursor is bound to the listing that issued it (its scope: tenant, index, partition),
so it cannot be replayed against another listing or another tenant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.domain.errors import InvalidInputError


def _sign(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def encode_cursor(last_key: dict[str, Any] | None, scope: str, secret: str) -> str | None:
    if not last_key:
        return None
    payload = json.dumps({"s": scope, "k": last_key}, separators=(",", ":"), sort_keys=True)
    body = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=")
    return f"{body.decode()}.{_sign(secret, body)}"


def decode_cursor(cursor: str | None, scope: str, secret: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    problem = InvalidInputError.one(
        "cursor", "not a cursor issued by this listing; start again without it"
    )
    body, _, signature = cursor.partition(".")
    try:
        raw_body, raw_signature = body.encode("ascii"), signature.encode("ascii")
    except UnicodeEncodeError as exc:
        raise problem from exc
    if not body or not hmac.compare_digest(_sign(secret, raw_body).encode(), raw_signature):
        raise problem
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError as exc:
        raise problem from exc
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), dict):
        raise problem
    key: dict[str, Any] = data["k"]
    return key
