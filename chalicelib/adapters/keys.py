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


EVENT_PREFIX = "EV#"
PROFILE_PREFIX = "#"  # the client, its summary and its tag links: the profile in one Query
SUMMARY_SK = "#SUMMARY"


def client_tag_sk(tag_id: str) -> str:
    return f"#TAG#{tag_id}"


ACTIVITY_PREFIX, NOTE_PREFIX, TASK_PREFIX = "ACT#", "NOTE#", "TASK#"


def activity_sk(own_id: str) -> str:
    return f"{ACTIVITY_PREFIX}{own_id}"


def note_sk(own_id: str) -> str:
    return f"{NOTE_PREFIX}{own_id}"


def task_sk(own_id: str) -> str:
    return f"{TASK_PREFIX}{own_id}"


# The tenant's tag catalogue (in the tenant partition) and the tag-name guards.
TAG_PREFIX = "TAG#"


def tag_sk(tag_id: str) -> str:
    return f"{TAG_PREFIX}{tag_id}"


def tag_name_guard_pk(tenant: str, name_key: str) -> str:
    return f"T#{tenant}#TAGNAME#{name_key}"


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


def time_sort(at: str, ident: str) -> str:
    return f"{at}#{ident}"


def scheduled_by_responsible(tenant: str, user_id: str) -> str:
    """GSI2 (sparse): scheduled activities of one responsible, by time."""
    return f"T#{tenant}#SCHED#{user_id}"


def open_tasks_by_assignee(tenant: str, user_id: str) -> str:
    """GSI2 (sparse): pending tasks of one assignee, by the instant they fall due."""
    return f"T#{tenant}#OPEN#{user_id}"


def open_tasks_of_tenant(tenant: str) -> str:
    """GSI1 (sparse): every pending task of a tenant, by the instant it falls due."""
    return f"T#{tenant}#OPEN"


def activities_of_client(tenant: str, client_id: str) -> str:
    """GSI3: a client's activities by their time."""
    return f"T#{tenant}#C#{client_id}#ACT"


def clients_with_tag(tenant: str, tag_id: str) -> str:
    """GSI3: the clients a tag is set on (its links)."""
    return f"T#{tenant}#TAG#{tag_id}"


HEALTH_PK = "HEALTH"


# Bulk imports: the job, its per-chunk row outcomes and (for a while) per-row marks, in one
# item collection; listed per tenant (GSI1) and per creator (GSI2), newest first.
IMPORT_JOB_SK = "#JOB"
IMPORT_CHUNK_PREFIX = "CHUNK#"
IMPORT_MARK_PREFIX = "ROW#"


def import_pk(tenant: str, job_id: str) -> str:
    return f"T#{tenant}#IMPORT#{job_id}"


def import_chunk_sk(index: int) -> str:
    return f"{IMPORT_CHUNK_PREFIX}{index:06d}"


def import_mark_sk(row: int) -> str:
    return f"{IMPORT_MARK_PREFIX}{row:07d}"


def imports_of_tenant(tenant: str) -> str:
    """GSI1: a tenant's import jobs, newest first."""
    return f"T#{tenant}#IMPORTS"


def imports_of_user(tenant: str, user_id: str) -> str:
    """GSI2: the import jobs one user started, newest first."""
    return f"T#{tenant}#IMPORTS#{user_id}"


def import_upload_key(tenant: str, job_id: str) -> str:
    """The S3 key a job's file is uploaded to (the bucket notifies the queue for uploads/)."""
    return f"uploads/{tenant}/{job_id}"


def import_result_key(tenant: str, job_id: str) -> str:
    return f"results/{tenant}/{job_id}.xlsx"


# Client listings by one filter each (GSI4-GSI11 on the client item; sort keys as GSI1's).
FACET_INDEX = {"type": 4, "stage": 5, "status": 6, "kind": 7, "source": 8}


def clients_by_facet(tenant: str, facet: str, value: str) -> str:
    """GSI4 type, GSI5 stage, GSI6 status, GSI7 kind, GSI8 source (sparse): the clients with
    one value, e.g. `T#acme#STAGE#visiting`."""
    return f"T#{tenant}#{facet.upper()}#{value}"


def clients_by_group(tenant: str, group_id: str) -> str:
    """GSI9 (sparse): the clients of one client group."""
    return f"T#{tenant}#GROUP#{group_id}"


def won_clients(tenant: str) -> str:
    """GSI10 (sparse): converted clients by `converted_at`."""
    return f"T#{tenant}#WON"


def clients_by_name(tenant: str) -> str:
    """GSI11: clients by folded name."""
    return f"T#{tenant}#NAME"


# Quick search entries: items `SRCH#<kind>#<value>` in the client's collection, on GSI3.
SEARCH_PREFIX = "SRCH#"


def search_sk(kind: str, value: str) -> str:
    return f"{SEARCH_PREFIX}{kind}#{value}"


def search_partition(tenant: str, kind: str, value: str) -> str:
    """GSI3: name words and emails are split by their first character (prefix search stays
    in one partition); phones share one partition (exact search)."""
    bucket = value[:1] if kind in ("W", "E") else ""
    return f"T#{tenant}#S{kind}#{bucket}"


# Client groups (tenant partition) and statistics per slice (owner-and-group).
GROUP_PREFIX = "GROUP#"


def group_sk(group_id: str) -> str:
    return f"{GROUP_PREFIX}{group_id}"


SLICE_COUNTERS_PREFIX = "COUNTERS#S#"


def slice_counters_sk(owner_id: str, group_id: str | None) -> str:
    return f"{SLICE_COUNTERS_PREFIX}{owner_id}#{group_id or '-'}"


# Exports: the jobs (each the audit record of one export) and the tenant-wide listings of
# activities and tasks an export reads.
EXPORT_SK = "EXPORT"


def export_pk(tenant: str, job_id: str) -> str:
    return f"T#{tenant}#EXPORT#{job_id}"


def exports_of_tenant(tenant: str) -> str:
    """GSI1: every export of a tenant, newest first (the audit listing)."""
    return f"T#{tenant}#EXPORTS"


def exports_of_user(tenant: str, user_id: str) -> str:
    """GSI2: the exports one user asked for, newest first."""
    return f"T#{tenant}#EXPORTS#{user_id}"


def activities_of_tenant(tenant: str) -> str:
    """GSI1 of activities: every activity of a tenant by its time."""
    return f"T#{tenant}#ACTS"


def tasks_of_tenant(tenant: str) -> str:
    """GSI3 of tasks: every task of a tenant (pending or not) by when it falls due."""
    return f"T#{tenant}#TASKS"


# Work orders and recurrence rules (in the client's item collection).
WORK_ORDER_PREFIX, RECURRENCE_PREFIX = "WO#", "REC#"


def work_order_sk(own_id: str) -> str:
    """A hand-made order's own id orders by creation; a generated one's is
    `<rule own id>-<YYYYMMDD>`, so a rule's orders are one key range of the collection."""
    return f"{WORK_ORDER_PREFIX}{own_id}"


def recurrence_sk(own_id: str) -> str:
    return f"{RECURRENCE_PREFIX}{own_id}"


def generated_order_own_id(rule_own_id: str, local_date: str) -> str:
    """The deterministic own id of the order for one occurrence (rule + local date)."""
    return f"{rule_own_id}-{local_date.replace('-', '')}"


def work_orders_of_tenant(tenant: str) -> str:
    """GSI1: a tenant's work orders by scheduled instant."""
    return f"T#{tenant}#WO"


def work_orders_by_technician(tenant: str, technician_id: str) -> str:
    """GSI2: one technician's work orders by scheduled instant."""
    return f"T#{tenant}#TECH#{technician_id}"


def work_orders_of_client(tenant: str, client_id: str) -> str:
    """GSI3: a client's work orders by scheduled instant."""
    return f"T#{tenant}#C#{client_id}#WO"


RULE_DUE_SHARDS = 4


def rules_due(shard: int) -> str:
    """GSI1 (sparse, cross-tenant): recurrence rules by the instant the materializer must
    extend them; sharded so no single partition takes every rule's writes."""
    return f"WODUE#{shard}"


def rule_due_sort(due_at: str, tenant: str, rule_id: str) -> str:
    return f"{due_at}#{tenant}#{rule_id}"


# --- Reminder emails and scheduled-job records (see docs/data-model.md, "Reminders") --------
REMINDER_PREFIX = "REM#"
REMINDER_SHARDS = 4  # the due index's day buckets are spread over this many partitions


def task_reminder_sk(task_own_id: str, offset: str) -> str:
    """In the client's collection, beside its task: one item per (task, offset)."""
    return f"{REMINDER_PREFIX}{task_own_id}#{offset}"


def work_order_reminder_pk(tenant: str, work_order_id: str) -> str:
    return f"T#{tenant}#WOREM#{work_order_id}"


WORK_ORDER_REMINDER_SK = "REM"


def digest_sk(user_id: str) -> str:
    """In the tenant partition, beside the user: when the user's next digest goes."""
    return f"DIGEST#{user_id}"


def reminders_due(day: str, shard: int) -> str:
    """GSI3 (sparse, across tenants): reminders waiting on one UTC day `YYYY-MM-DD`, by time."""
    return f"REMDUE#{day}#{shard}"


def job_run_pk(job: str) -> str:
    """A scheduled job's last runs (not a tenant's: the jobs serve every tenant)."""
    return f"JOB#{job}"


JOB_RUN_SK = "RUN"
