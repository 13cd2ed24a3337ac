"""PynamoDB models of the single table. Its schema lives in infra/template.json only.

The table name is bound from settings on first use (`bind()`), never at import time.
"""

from __future__ import annotations

import functools
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import AttributeNullError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.config import Settings, get_settings


class Gsi1(GlobalSecondaryIndex["Item"]):
    """Clients of a tenant by creation; pending tasks of a tenant by due time."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class Gsi2(GlobalSecondaryIndex["Item"]):
    """Per person: clients by owner; scheduled activities by responsible; open tasks by
    assignee."""

    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class Gsi3(GlobalSecondaryIndex["Item"]):
    """A client's activities by time; the clients a tag is set on."""

    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(range_key=True, attr_name="GSI3SK")


class Gsi4(GlobalSecondaryIndex["Item"]):
    """Clients by type, newest first."""

    class Meta:
        index_name = "GSI4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True, attr_name="GSI4PK")
    gsi4sk = UnicodeAttribute(range_key=True, attr_name="GSI4SK")


class Gsi5(GlobalSecondaryIndex["Item"]):
    """Clients by pipeline stage, newest first."""

    class Meta:
        index_name = "GSI5"
        projection = AllProjection()

    gsi5pk = UnicodeAttribute(hash_key=True, attr_name="GSI5PK")
    gsi5sk = UnicodeAttribute(range_key=True, attr_name="GSI5SK")


class Gsi6(GlobalSecondaryIndex["Item"]):
    """Clients by status, newest first."""

    class Meta:
        index_name = "GSI6"
        projection = AllProjection()

    gsi6pk = UnicodeAttribute(hash_key=True, attr_name="GSI6PK")
    gsi6sk = UnicodeAttribute(range_key=True, attr_name="GSI6SK")


class Gsi7(GlobalSecondaryIndex["Item"]):
    """Clients by kind, newest first."""

    class Meta:
        index_name = "GSI7"
        projection = AllProjection()

    gsi7pk = UnicodeAttribute(hash_key=True, attr_name="GSI7PK")
    gsi7sk = UnicodeAttribute(range_key=True, attr_name="GSI7SK")


class Gsi8(GlobalSecondaryIndex["Item"]):
    """Clients by contact source, newest first (sparse)."""

    class Meta:
        index_name = "GSI8"
        projection = AllProjection()

    gsi8pk = UnicodeAttribute(hash_key=True, attr_name="GSI8PK")
    gsi8sk = UnicodeAttribute(range_key=True, attr_name="GSI8SK")


class Gsi9(GlobalSecondaryIndex["Item"]):
    """Clients by client group, newest first (sparse)."""

    class Meta:
        index_name = "GSI9"
        projection = AllProjection()

    gsi9pk = UnicodeAttribute(hash_key=True, attr_name="GSI9PK")
    gsi9sk = UnicodeAttribute(range_key=True, attr_name="GSI9SK")


class Gsi10(GlobalSecondaryIndex["Item"]):
    """Won (converted) clients, latest conversion first (sparse)."""

    class Meta:
        index_name = "GSI10"
        projection = AllProjection()

    gsi10pk = UnicodeAttribute(hash_key=True, attr_name="GSI10PK")
    gsi10sk = UnicodeAttribute(range_key=True, attr_name="GSI10SK")


class Gsi11(GlobalSecondaryIndex["Item"]):
    """Clients by name (accent- and case-folded)."""

    class Meta:
        index_name = "GSI11"
        projection = AllProjection()

    gsi11pk = UnicodeAttribute(hash_key=True, attr_name="GSI11PK")
    gsi11sk = UnicodeAttribute(range_key=True, attr_name="GSI11SK")


class Item(Model):
    """Every item of the table; `entity` says which kind it is."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    entity = DiscriminatorAttribute(attr_name="entity")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")
    gsi3pk = UnicodeAttribute(null=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(null=True, attr_name="GSI3SK")
    gsi4pk = UnicodeAttribute(null=True, attr_name="GSI4PK")
    gsi4sk = UnicodeAttribute(null=True, attr_name="GSI4SK")
    gsi5pk = UnicodeAttribute(null=True, attr_name="GSI5PK")
    gsi5sk = UnicodeAttribute(null=True, attr_name="GSI5SK")
    gsi6pk = UnicodeAttribute(null=True, attr_name="GSI6PK")
    gsi6sk = UnicodeAttribute(null=True, attr_name="GSI6SK")
    gsi7pk = UnicodeAttribute(null=True, attr_name="GSI7PK")
    gsi7sk = UnicodeAttribute(null=True, attr_name="GSI7SK")
    gsi8pk = UnicodeAttribute(null=True, attr_name="GSI8PK")
    gsi8sk = UnicodeAttribute(null=True, attr_name="GSI8SK")
    gsi9pk = UnicodeAttribute(null=True, attr_name="GSI9PK")
    gsi9sk = UnicodeAttribute(null=True, attr_name="GSI9SK")
    gsi10pk = UnicodeAttribute(null=True, attr_name="GSI10PK")
    gsi10sk = UnicodeAttribute(null=True, attr_name="GSI10SK")
    gsi11pk = UnicodeAttribute(null=True, attr_name="GSI11PK")
    gsi11sk = UnicodeAttribute(null=True, attr_name="GSI11SK")

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()
    gsi5 = Gsi5()
    gsi6 = Gsi6()
    gsi7 = Gsi7()
    gsi8 = Gsi8()
    gsi9 = Gsi9()
    gsi10 = Gsi10()
    gsi11 = Gsi11()

    # PynamoDB walks every attribute a class declares to serialize an item and to set its
    # defaults, and sets each value through its descriptor. Every item of this table declares
    # the 22 index keys and sets a few, so a bulk write spent most of its Python time there.
    # These walk only the values set and the attributes with a default, and store plain
    # values directly: the same result (tests/unit/test_dynamo_items.py).

    def _set_attributes(self, **attributes: Any) -> None:
        direct = _plainly_set(type(self))
        values = self.attribute_values
        for name, value in attributes.items():
            if name in direct:
                values[name] = value  # what Attribute.__set__ does
            elif name in self.get_attributes():
                setattr(self, name, value)  # maps, discriminators, versions: their own __set__
            else:
                raise ValueError(f"Attribute {name} specified does not exist")

    def _container_serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        attributes = self.get_attributes()
        serialized: dict[str, dict[str, Any]] = {}
        for name, value in self.attribute_values.items():
            if value is None:
                continue
            attr = attributes[name]
            try:
                if isinstance(value, MapAttribute) and not value.validate(null_check=null_check):
                    raise ValueError(f"Attribute '{name}' is not correctly typed")
                if isinstance(attr, ListAttribute | MapAttribute):
                    dynamo_value = attr.serialize(value, null_check=null_check)
                else:
                    dynamo_value = attr.serialize(value)
            except AttributeNullError as exc:
                exc.prepend_path(name)
                raise
            if dynamo_value is not None:
                serialized[attr.attr_name] = {attr.attr_type: dynamo_value}
        if null_check:
            for name, attr in _required(type(self)):
                if attr.attr_name not in serialized:
                    raise AttributeNullError(name)
        return serialized

    def _set_defaults(self, _user_instantiated: bool = True) -> None:
        for name, attr in _with_defaults(type(self)):
            if _user_instantiated and attr.default_for_new is not None:
                default = attr.default_for_new
            else:
                default = attr.default
            value = default() if callable(default) else default
            if value is not None:
                setattr(self, name, value)


def plain(value: Any) -> Any:
    """PynamoDB's raw maps and lists → plain dicts, lists and numbers."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@functools.cache
def _plainly_set(cls: type[Item]) -> frozenset[str]:
    """Attributes whose descriptor stores the value as it is, under the attribute's name."""
    return frozenset(
        name
        for name, attr in cls.get_attributes().items()
        if type(attr).__set__ is Attribute.__set__
        and getattr(cls, "_dynamo_to_python_attrs", {}).get(attr.attr_name, attr.attr_name) == name
    )


@functools.cache
def _required(cls: type[Item]) -> list[tuple[str, Attribute[Any]]]:
    return [(name, attr) for name, attr in cls.get_attributes().items() if not attr.null]


@functools.cache
def _with_defaults(cls: type[Item]) -> list[tuple[str, Attribute[Any]]]:
    return [
        (name, attr)
        for name, attr in cls.get_attributes().items()
        if attr.default is not None or attr.default_for_new is not None
    ]


class ClientItem(Item, discriminator="client"):
    client_id = UnicodeAttribute()
    number = NumberAttribute()
    name = UnicodeAttribute()
    legal_name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_display = UnicodeAttribute(null=True)
    address = MapAttribute[str, Any](null=True)
    type = UnicodeAttribute()
    kind = UnicodeAttribute()
    stage = UnicodeAttribute()
    source = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    owner_name = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    stars = NumberAttribute(default=0)
    custom = MapAttribute[str, Any](null=True)
    converted_at = UnicodeAttribute(null=True)
    student_id = UnicodeAttribute(null=True)
    group_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    guarded = ListAttribute[str](null=True)  # fields whose uniqueness guard this client holds
    last_visit_at = UnicodeAttribute(null=True)  # the latest completed work order
    version = VersionAttribute()


class EventItem(Item, discriminator="event"):
    event_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    changes = MapAttribute[str, Any](null=True)
    reason = UnicodeAttribute(null=True)
    subject = MapAttribute[str, Any](null=True)
    subject_id = UnicodeAttribute(null=True)  # the activity, note or task it is about
    private_for = UnicodeAttribute(null=True)


class SummaryItem(Item, discriminator="summary"):
    """Beside each client: open tasks, scheduled and latest done activities."""

    client_id = UnicodeAttribute()
    open_tasks = NumberAttribute(default=0)
    scheduled = MapAttribute[str, Any](null=True)
    recent_done = MapAttribute[str, Any](null=True)
    version = VersionAttribute()


class ActivityItem(Item, discriminator="activity"):
    activity_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    type = UnicodeAttribute()
    at = UnicodeAttribute()
    notes = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    responsible_id = UnicodeAttribute()
    responsible_name = UnicodeAttribute(null=True)
    result = UnicodeAttribute(null=True)
    private = BooleanAttribute(default=False)
    follow_up_task_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


class NoteItem(Item, discriminator="note"):
    note_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    text = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class TaskItem(Item, discriminator="task"):
    task_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    description = UnicodeAttribute()
    due_at = UnicodeAttribute(null=True)
    due_date = UnicodeAttribute(null=True)
    due_sort = UnicodeAttribute()
    color = UnicodeAttribute(null=True)
    assignee_id = UnicodeAttribute()
    assignee_name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    reminders = ListAttribute[str](null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


class TagItem(Item, discriminator="tag"):
    tag_id = UnicodeAttribute()
    name = UnicodeAttribute()
    color = UnicodeAttribute()
    version = VersionAttribute()


class ClientTagItem(Item, discriminator="client_tag"):
    """A tag set on a client, with the tag's name and colour copied for the profile."""

    tag_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    color = UnicodeAttribute()


class SearchItem(Item, discriminator="search"):
    """One quick-search entry of a client (a word of its name, its email or its phone), in
    the client's collection and on GSI3 under the value it is found by."""

    client_id = UnicodeAttribute()
    value = UnicodeAttribute()
    words = ListAttribute[str](null=True)  # every name word, for the other search terms


class GroupItem(Item, discriminator="group"):
    """A client group: clients join it by their `group_id`; its users see them."""

    group_id = UnicodeAttribute()
    name = UnicodeAttribute()
    user_ids = ListAttribute[str](null=True)
    created_at = UnicodeAttribute()
    version = VersionAttribute()


class GuardItem(Item, discriminator="guard"):
    """Holds a unique value (email, phone, number) for one client."""

    client_id = UnicodeAttribute()
    field = UnicodeAttribute()


class IdempotencyItem(Item, discriminator="idempotency"):
    request_hash = UnicodeAttribute()
    client_id = UnicodeAttribute()
    expires_at = NumberAttribute()
    # A client an import created without counting it: the counters it adds 1 to, in the
    # organisation and in its owner's slice (statistics applied with the import's chunk).
    counted = ListAttribute[str](null=True)
    counted_owner = UnicodeAttribute(null=True)


class TenantItem(Item, discriminator="tenant"):
    name = UnicodeAttribute(default="")
    timezone = UnicodeAttribute()
    language = UnicodeAttribute()
    default_phone_region = UnicodeAttribute()
    allow_duplicates = BooleanAttribute(default=False)
    # stages and sources: maps (see domain/catalogs.py); items saved earlier hold bare keys
    stages = ListAttribute[Any](null=True)
    sources = ListAttribute[Any](null=True)
    type_icons = MapAttribute[str, Any](null=True)
    custom_fields = ListAttribute[Any](null=True)
    visit_recency = MapAttribute[str, Any](null=True)
    import_max_mb = NumberAttribute(null=True)
    work_order_horizon_days = NumberAttribute(null=True)
    version = VersionAttribute()


class CountersItem(Item, discriminator="counters"):
    """Client-number sequence. Statistics live beside it as flat `n_*` attributes; the
    same statistics per slice (owner-and-group) live in items of their own."""

    client_seq = NumberAttribute(default=0)


class UserItem(Item, discriminator="user"):
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    language = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)


class HealthItem(Item, discriminator="health"):
    pass


class ImportJobItem(Item, discriminator="import_job"):
    """A bulk import job: the job as JSON, with the checkpoint (`chunks`) beside it."""

    state = UnicodeAttribute()
    chunks = NumberAttribute(default=0)
    body = UnicodeAttribute()


class ImportChunkItem(Item, discriminator="import_chunk"):
    """The outcomes of one chunk of rows (zlib-compressed JSON), kept with the job."""

    first_row = NumberAttribute()
    rows = NumberAttribute()
    outcomes = BinaryAttribute(legacy_encoding=False)


class ImportMarkItem(Item, discriminator="import_mark"):
    """An imported row's change, written with it; expires once its chunk is long recorded."""

    client_id = UnicodeAttribute()
    changes = UnicodeAttribute()
    expires_at = NumberAttribute()


class ExportJobItem(Item, discriminator="export"):
    """An export job, and the audit record of who exported what (see services/exports.py)."""

    job_id = UnicodeAttribute()
    export_entity = UnicodeAttribute()
    format = UnicodeAttribute()
    filters = UnicodeAttribute(default="{}")  # JSON, as validated
    state = UnicodeAttribute()
    rows = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_by_name = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    groups = ListAttribute[str](null=True)
    error = UnicodeAttribute(null=True)
    file_name = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)


class WorkOrderItem(Item, discriminator="work_order"):
    """A visit to a client; `version` is managed by the repository's own conditions."""

    work_order_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    client_name = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    scheduled_at = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    technician_id = UnicodeAttribute(null=True)
    technician_name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    notes = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    recurrence_id = UnicodeAttribute(null=True)
    occurrence = UnicodeAttribute(null=True)
    detached = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    version = NumberAttribute()


class RecurrenceItem(Item, discriminator="recurrence"):
    """A recurrence rule; while it has occurrences ahead it sits in the due index (GSI1)."""

    recurrence_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    client_name = UnicodeAttribute()
    rrule = UnicodeAttribute()
    start_date = UnicodeAttribute()
    time = UnicodeAttribute()
    timezone = UnicodeAttribute()
    until = UnicodeAttribute(null=True)
    max_count = NumberAttribute(null=True, attr_name="count")  # `count` is Model.count
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    duration_minutes = NumberAttribute()
    technician_id = UnicodeAttribute(null=True)
    technician_name = UnicodeAttribute(null=True)
    materialized_through = UnicodeAttribute(null=True)
    next_due = UnicodeAttribute(null=True)
    pending_rewrite = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    version = NumberAttribute()


class ReminderItem(Item, discriminator="reminder"):
    """An email to send: a task's reminder at one offset, a work order's day-before
    reminder, a user's digest schedule. While waiting it sits on GSI3 `REMDUE#<day>#<shard>`."""

    kind = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    offset = UnicodeAttribute(null=True)
    recipient_id = UnicodeAttribute(null=True)
    zone = UnicodeAttribute(null=True)
    fire_at = UnicodeAttribute(null=True)
    next_at = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    sent_at = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    claim = UnicodeAttribute(null=True)
    last_day = UnicodeAttribute(null=True)
    details = MapAttribute[str, Any](null=True)


class JobRunItem(Item, discriminator="job_run"):
    """A scheduled job's last start and last success."""

    job = UnicodeAttribute()
    last_started_at = UnicodeAttribute(null=True)
    last_success_at = UnicodeAttribute(null=True)
    last_report = MapAttribute[str, Any](null=True)


_MODELS: tuple[type[Item], ...] = (
    Item,
    ClientItem,
    EventItem,
    GuardItem,
    IdempotencyItem,
    TenantItem,
    CountersItem,
    UserItem,
    HealthItem,
    SummaryItem,
    ActivityItem,
    NoteItem,
    TaskItem,
    TagItem,
    ClientTagItem,
    ImportJobItem,
    ImportChunkItem,
    ImportMarkItem,
    ExportJobItem,
    WorkOrderItem,
    RecurrenceItem,
    SearchItem,
    GroupItem,
    ReminderItem,
    JobRunItem,
)
_bound: dict[str, str] = {}


def bind(settings: Settings | None = None) -> Connection:
    """Point the models at the configured table; returns a connection for transactions."""
    settings = settings or get_settings()
    if _bound.get("table") != settings.table_name or "region" not in _bound:
        for model in _MODELS:
            model.Meta.table_name = settings.table_name
            setattr(model.Meta, "region", settings.aws_region)  # noqa: B010
            model._connection = None
        _bound.update(table=settings.table_name, region=settings.aws_region)
        _connections.clear()
    if "conn" not in _connections:
        _connections["conn"] = Connection(region=settings.aws_region)
    return _connections["conn"]


_connections: dict[str, Connection] = {}


def reset() -> None:
    """Forget cached connections (tests start a fresh fake AWS for each test)."""
    _bound.clear()
    _connections.clear()
    for model in _MODELS:
        model._connection = None
