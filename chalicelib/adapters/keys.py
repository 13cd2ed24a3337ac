"""Every DynamoDB key format, in one place. See docs/data-model.md.

All keys start with the tenant, so no access pattern can cross tenants.
"""

from __future__ import annotations

import re

_ID = re.compile(r"^[A-Za-z0-9_.@:-]{1,128}$")


def is_valid_id(value: str) -> bool:
    """Ids are embedded in keys: they may not hold the `#` separator."""
    return bool(_ID.match(value))


def tenant_pk(tenant: str) -> str:
    return f"T#{tenant}"


TENANT_SK = "TENANT"
COUNTERS_SK = "COUNTERS"


def user_sk(user_id: str) -> str:
    return f"U#{user_id}"


USER_SK_PREFIX = "U#"


# The client item collection: the client and everything recorded about it.
def client_pk(tenant: str, client_id: str) -> str:
    return f"T#{tenant}#C#{client_id}"


CLIENT_SK = "#CLIENT"  # '#' sorts before the letters of every other item in the collection


def event_sk(at: str, event_id: str) -> str:
    return f"EV#{at}#{event_id}"


# Uniqueness guards: one item per value that must be unique in the tenant.
GUARD_SK = "GUARD"


def email_guard_pk(tenant: str, email_key: str) -> str:
    return f"T#{tenant}#EMAIL#{email_key}"


def phone_guard_pk(tenant: str, e164: str) -> str:
    return f"T#{tenant}#PHONE#{e164}"


def number_guard_pk(tenant: str, number: int) -> str:
    return f"T#{tenant}#NUM#{number}"


# Idempotency records for creates, per user and key.
IDEMPOTENCY_SK = "IDEM"


def idempotency_pk(tenant: str, user_id: str, key: str) -> str:
    return f"T#{tenant}#IDEM#{user_id}#{key}"


# Listings (GSI partitions and sort keys).
def clients_by_tenant(tenant: str) -> str:
    """GSI1: all clients of a tenant, newest first."""
    return f"T#{tenant}#CLIENTS"


def clients_by_owner(tenant: str, owner_id: str) -> str:
    """GSI2: the clients one user is responsible for, newest first."""
    return f"T#{tenant}#OWNER#{owner_id}"


def created_sort(created_at: str, client_id: str) -> str:
    return f"{created_at}#{client_id}"


HEALTH_PK = "HEALTH"
