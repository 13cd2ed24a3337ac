"""Client use cases: create, read, change, (de)activate, delete, list, timeline."""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from chalicelib.domain.catalogs import check_custom
from chalicelib.domain.clients import (
    Client,
    ClientCreate,
    ClientStatus,
    ClientType,
    ClientUpdate,
    field_changes,
)
from chalicelib.domain.contact import email_key, normalize_phone
from chalicelib.domain.errors import (
    Conflict,
    DuplicateError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    StateConflictError,
    VersionConflictError,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.principal import Principal
from chalicelib.domain.profile import ClientProfile, build_profile
from chalicelib.domain.search import ClientQuery, Listing, Visibility, plan_search, search_values
from chalicelib.domain.stats import (
    ClientStats,
    CounterDeltas,
    counter_deltas,
    stats_from_counters,
)
from chalicelib.domain.tenants import TenantSettings
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.services.ports import (
    ClientRepository,
    Guard,
    GuardTakenError,
    IdempotencyKeyTakenError,
    IdempotencyRecord,
    NewClient,
    RowMark,
    StaleWriteError,
    WriteContext,
)

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 20  # a burst of creates all race for the next client number
SETTINGS_TTL_SECONDS = 60.0


def day_range(
    first: date | None, last: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """[start of `first`, start of the day after `last`) in the organisation's zone."""
    zone = ZoneInfo(timezone)

    def start_of(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), zone)

    return (
        start_of(first) if first else None,
        start_of(last + timedelta(days=1)) if last else None,
    )


def backoff(attempt: int) -> None:
    """A short, jittered pause before retrying a write another writer got in first."""
    if attempt:
        time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))  # noqa: S311


T = TypeVar("T")


def retry_on_race(attempt: Callable[[], T], what: str) -> T:
    """Run `attempt` (read, decide, write) until no other writer got in first: it raises
    StaleWriteError when one did, and is then run again on fresh reads."""
    for n in range(MAX_ATTEMPTS):
        backoff(n)
        try:
            return attempt()
        except StaleWriteError:
            continue
    raise StaleWriteError(f"too many concurrent {what}; try again")


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems


def utcnow() -> datetime:
    return datetime.now(UTC)


def guards_of(client: Client) -> list[Guard]:
    """The unique values of `client` (whether or not it holds their guards)."""
    guards = []
    if client.email:
        guards.append(Guard("email", email_key(client.email)))
    if client.phone:
        guards.append(Guard("phone", client.phone))
    return guards


def held_guards(client: Client) -> list[Guard]:
    """The guards `client` holds: none for values written while duplicates were allowed."""
    return [g for g in guards_of(client) if g.field in client.guarded]


@dataclass(frozen=True)
class Change:
    """A change to a client: the fields, what the timeline calls it, and its guards."""

    fields: dict[str, Any]
    action: str
    reason: str | None = None
    if_match: int | None = None
    version: int | None = None
    derive: Callable[[Client], dict[str, Any]] | None = None
    users: tuple[str, ...] = ()  # more users whose names the change may need


class ClientService:
    def __init__(self, repo: ClientRepository, clock: Clock = utcnow) -> None:
        self.repo = repo
        self.clock = clock
        self._settings: dict[str, tuple[float, TenantSettings]] = {}

    # --- reading ---------------------------------------------------------------------------

    def get(self, who: Principal, client_id: str) -> Client:
        client = self.repo.get_client(who.tenant_id, client_id)
        return self._visible(who, client, client_id)

    def _visible(self, who: Principal, client: Client | None, client_id: str) -> Client:
        if client is None or not who.can_see_client(client.owner_id, client.group_id):
            raise NotFoundError("Client", client_id)
        return client

    def search(
        self, who: Principal, query: ClientQuery, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Client], dict[str, Any] | None]:
        """A page of the clients `who` may see that match `query` (quick search, filters,
        sort), each pattern served by an index of its own (adapters/client_listing.py)."""
        if query.owner == "me":
            query = query.model_copy(update={"owner": who.user_id})
        search = plan_search(query.q, None) if query.q else None
        needs_settings = query.created_from or query.created_to or (search and search.kind == "P?")
        settings = self.tenant_settings(who.tenant_id) if needs_settings else None
        if search is not None and search.kind == "P?" and settings is not None:
            search = plan_search(search.value, settings.default_phone_region)
        created: tuple[datetime | None, datetime | None] = (None, None)
        if settings is not None:
            created = day_range(query.created_from, query.created_to, settings.timezone)
        visibility = None if who.sees_all_clients else Visibility(who.user_id, who.groups)
        listing = Listing(who.tenant_id, query, created, visibility, search)
        return self.repo.search_clients(listing, limit, start)

    def tenant_settings(self, tenant: str) -> TenantSettings:
        """The organisation's settings, read at most once a minute per tenant by a search
        (its time zone and phone region)."""
        now = time.monotonic()
        cached = self._settings.get(tenant)
        if cached is None or cached[0] < now:
            cached = (now + SETTINGS_TTL_SECONDS, self.repo.load_context(tenant, []).settings)
            self._settings[tenant] = cached
        return cached[1]

    def stats(self, who: Principal) -> ClientStats:
        """The statistics of the clients `who` can see: one read of the organisation's
        counters, or for a sales user one Query of the owner-and-group slices."""
        settings = self.tenant_settings(who.tenant_id)
        month = self.clock().astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m")
        if who.sees_all_clients:
            return stats_from_counters(self.repo.get_counters(who.tenant_id), month)
        total: Counter[str] = Counter()
        for (owner, group), counters in self.repo.get_slice_counters(who.tenant_id):
            if who.can_see_client(owner, group):
                total.update(counters)
        return stats_from_counters(dict(total), month)

    def timeline(
        self, who: Principal, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[TimelineEvent], dict[str, Any] | None]:
        self.get(who, client_id)
        private_to = None if who.sees_all_clients else who.user_id
        return self.repo.list_events(who.tenant_id, client_id, limit, start, private_to)

    # --- creating --------------------------------------------------------------------------

    def create(
        self, who: Principal, data: ClientCreate, idempotency_key: str | None = None
    ) -> Client:
        owner_id = data.owner_id or who.user_id
        if owner_id != who.user_id and not who.sees_all_clients:
            raise ForbiddenError("A sales user can only create clients they are responsible for.")
        self._check_group(who, data.group_id)
        request_hash = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
        if idempotency_key:
            earlier = self._replay(who, idempotency_key, request_hash)
            if earlier is not None:
                return earlier

        def attempt() -> Client:
            context = self.repo.load_context(who.tenant_id, [owner_id])
            client = self._new_client(who, data, owner_id, context)
            idem = (
                IdempotencyRecord(who.user_id, idempotency_key, request_hash, client.id)
                if idempotency_key
                else None
            )
            guards = [] if context.settings.allow_duplicates else guards_of(client)
            client = client.model_copy(update={"guarded": [g.field for g in guards]})
            event = self._event(
                who, client, "created", field_changes({}, client.editable()), client.created_at
            )
            counters = counter_deltas(None, client, context.settings.timezone)
            try:
                self.repo.create_client(who.tenant_id, client, event, guards, counters, idem)
            except GuardTakenError as exc:
                raise self._duplicate(who, exc.guards) from exc
            except IdempotencyKeyTakenError as exc:
                earlier = self._replay(who, idempotency_key or "", request_hash)
                if earlier is None:
                    raise StaleWriteError("the idempotency record expired meanwhile") from exc
                return earlier
            return client

        # A race: another create took the number first, or a duplicate's holder went away.
        return retry_on_race(attempt, "creates")

    def _replay(self, who: Principal, key: str, request_hash: str) -> Client | None:
        record = self.repo.get_idempotency(who.tenant_id, who.user_id, key)
        if record is None:
            return None
        if record.request_hash != request_hash:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was already used with a different body; "
                "use a new key for a new client."
            )
        return self.get(who, record.client_id)

    def _new_client(
        self, who: Principal, data: ClientCreate, owner_id: str, context: WriteContext
    ) -> Client:
        settings = context.settings
        stage = data.stage or settings.stages[0].key  # default: the pipeline's first stage
        self._check_lists(stage, data.source, settings)
        custom = self._checked_custom(settings, data.custom, None)
        owner_name = self._owner_name(who, owner_id, context)
        now = self.clock()
        fields = data.model_dump(exclude={"owner_id", "phone", "custom", "stage"})
        return Client(
            **fields,
            stage=stage,
            id=new_id(),
            number=context.client_seq + 1,
            phone=normalize_phone(data.phone, settings.default_phone_region)
            if data.phone
            else None,
            phone_display=data.phone,
            custom=custom,
            owner_id=owner_id,
            owner_name=owner_name,
            created_at=now,
            updated_at=now,
            created_by=who.user_id,
            version=1,
        )

    def _check_group(self, who: Principal, group_id: str | None, clearing: bool = False) -> None:
        if group_id is None and not clearing:
            return
        if not who.sees_all_clients:
            raise ForbiddenError("Only a manager or an admin can put a client in a group.")
        if group_id is not None and not self.repo.group_exists(who.tenant_id, group_id):
            raise InvalidInputError.one("group_id", f"no client group {group_id!r}")

    @staticmethod
    def _check_lists(stage: str | None, source: str | None, settings: TenantSettings) -> None:
        stages, sources = settings.stage_keys(), settings.source_keys()
        if stage is not None and stage not in stages:
            raise InvalidInputError.one("stage", f"unknown stage {stage!r}; one of {stages}")
        if source is not None and source not in sources:
            raise InvalidInputError.one("source", f"unknown source {source!r}; one of {sources}")

    @staticmethod
    def _checked_custom(
        settings: TenantSettings, values: dict[str, Any] | None, before: dict[str, Any] | None
    ) -> dict[str, Any]:
        """`custom` checked against the organisation's custom field definitions and
        normalised; `before` (on update): the values the client holds."""
        return check_custom(settings.custom_fields, values, before)

    @staticmethod
    def _owner_name(who: Principal, owner_id: str, context: WriteContext) -> str:
        user = context.users.get(owner_id)
        if user is not None:
            return user.name
        if owner_id == who.user_id:
            return who.name or who.email or who.user_id
        raise InvalidInputError.one("owner_id", f"no user {owner_id!r} in this organisation")

    def _duplicate(self, who: Principal, guards: list[Guard]) -> Exception:
        """The 409 for taken values; a StaleWriteError (retry) when every holder has gone
        since."""
        conflicts = []
        for guard, holder in self.repo.guard_holders(who.tenant_id, guards):
            if holder is None:
                continue
            if who.can_see_client(holder.owner_id, holder.group_id):
                conflicts.append(Conflict(guard.field, holder.id, holder.name, holder.owner_name))
            else:
                conflicts.append(Conflict(guard.field, None, None, holder.owner_name))
        if not conflicts:
            return StaleWriteError("the values were released meanwhile")
        return DuplicateError(conflicts)

    @staticmethod
    def _event(
        who: Principal,
        client: Client,
        action: str,
        changes: dict[str, Any],
        at: datetime,
        reason: str | None = None,
    ) -> TimelineEvent:
        return TimelineEvent(
            id=new_id(),
            client_id=client.id,
            at=at,
            actor_id=who.user_id,
            actor_name=who.name or None,
            action=action,
            changes=changes,
            reason=reason,
        )

    # --- changing --------------------------------------------------------------------------

    def update(
        self, who: Principal, client_id: str, patch: ClientUpdate, if_match: int | None = None
    ) -> Client:
        """Apply `patch` to the current version; never loses a concurrent change.

        With If-Match or a `version` in the body the caller's version must be current
        (412 / 409). Without either, a concurrent change is re-read and the patch applied
        on top of it.
        """
        change = Change(patch.changes(), "updated", if_match=if_match, version=patch.version)
        return self._change(who, client_id, change)

    def _change(self, who: Principal, client_id: str, change: Change) -> Client:
        owner_ids = [change.fields["owner_id"]] if change.fields.get("owner_id") else []
        owner_ids += list(change.users)

        # A race re-reads: with If-Match or a body version the check then answers 412 / 409;
        # without, the change is applied on top of the newer version.
        def attempt() -> Client:
            current, context = self.repo.get_client_with_context(
                who.tenant_id, client_id, owner_ids
            )
            current = self._visible(who, current, client_id)
            self._check_expected(current, change.if_match, change.version)
            fields = change.fields | (change.derive(current) if change.derive else {})
            after = self._apply(who, current, fields, context)
            diff = field_changes(current.editable(), after.editable())
            if not diff:
                return current
            try:
                self._write_update(who, current, after, diff, change, context)
            except GuardTakenError as exc:
                raise self._duplicate(who, exc.guards) from exc
            return after.model_copy(update={"version": current.version + 1})

        return retry_on_race(attempt, "changes")

    @staticmethod
    def _check_expected(current: Client, if_match: int | None, body_version: int | None) -> None:
        if if_match is not None and if_match != current.version:
            raise PreconditionFailedError(
                f"If-Match names version {if_match} but the client is at version "
                f"{current.version}. Reload it and apply your change again."
            )
        if body_version is not None and body_version != current.version:
            raise VersionConflictError(current.version)

    def _apply(
        self, who: Principal, current: Client, changes: dict[str, Any], context: WriteContext
    ) -> Client:
        settings = context.settings
        if "stage" in changes or "source" in changes:
            self._check_lists(changes.get("stage"), changes.get("source"), settings)
        update: dict[str, Any] = dict(changes)
        if "custom" in changes:
            update["custom"] = self._checked_custom(settings, changes["custom"], current.custom)
        if "phone" in changes:
            raw = changes["phone"]
            update["phone"] = normalize_phone(raw, settings.default_phone_region) if raw else None
            update["phone_display"] = raw
        if "owner_id" in changes and changes["owner_id"] != current.owner_id:
            if not who.sees_all_clients:
                raise ForbiddenError("Only a manager or an admin can hand a client over.")
            update["owner_name"] = self._owner_name(who, changes["owner_id"], context)
        if "group_id" in changes and changes["group_id"] != current.group_id:
            self._check_group(who, changes["group_id"], clearing=True)
        update["updated_at"] = self.clock()
        merged = current.model_dump() | update
        return Client.model_validate(merged)

    def _write_update(
        self,
        who: Principal,
        current: Client,
        after: Client,
        diff: dict[str, Any],
        change: Change,
        context: WriteContext,
        mark: RowMark | None = None,
    ) -> None:
        held, wanted = set(held_guards(current)), set(guards_of(after))
        new_values = wanted - set(guards_of(current))
        add = [] if context.settings.allow_duplicates else sorted(new_values, key=str)
        drop = sorted(held - wanted, key=str)
        keep = held & wanted
        after = after.model_copy(update={"guarded": sorted(g.field for g in keep | set(add))})
        self.repo.update_client(
            who.tenant_id,
            current,
            after,
            self._event(who, current, change.action, diff, after.updated_at, change.reason),
            add,
            drop,
            counter_deltas(current, after, context.settings.timezone),
            mark,
        )

    def set_status(self, who: Principal, client_id: str, status: ClientStatus) -> Client:
        action = "reactivated" if status is ClientStatus.ACTIVE else "deactivated"
        return self._change(who, client_id, Change({"status": status}, action))

    def change_stage(
        self, who: Principal, client_id: str, stage: str, reason: str | None
    ) -> Client:
        """Any stage to any stage (back from won or lost too), with an optional reason."""
        change = Change({"stage": stage}, "stage_changed", reason=reason)
        return self._change(who, client_id, change)

    def convert(self, who: Principal, client_id: str) -> Client:
        """A lead or prospect becomes an active client; `converted_at` says when."""

        def derive(current: Client) -> dict[str, Any]:
            if current.type not in (ClientType.LEAD, ClientType.PROSPECT):
                raise StateConflictError(
                    f"Only a lead or a prospect can be converted; this one is a "
                    f"{current.type.value}."
                )
            return {"converted_at": self.clock()}

        fields = {"type": ClientType.CLIENT, "status": ClientStatus.ACTIVE}
        return self._change(who, client_id, Change(fields, "converted", derive=derive))

    def promote_vip(self, who: Principal, client_id: str) -> Client:
        def derive(current: Client) -> dict[str, Any]:
            if current.type is ClientType.VIP:
                raise StateConflictError("The client is a VIP already.")
            return {}

        change = Change({"type": ClientType.VIP}, "promoted_vip", derive=derive)
        return self._change(who, client_id, change)

    def set_stars(self, who: Principal, client_id: str, stars: int) -> Client:
        return self._change(who, client_id, Change({"stars": stars}, "stars_changed"))

    def link_student(self, who: Principal, client_id: str, student_id: str | None) -> Client:
        action = "student_linked" if student_id else "student_unlinked"
        return self._change(who, client_id, Change({"student_id": student_id}, action))

    def profile(self, who: Principal, client_id: str) -> ClientProfile:
        """The client with its tags, task and activity summary: one Query."""
        client, summary, tags = self.repo.get_profile(who.tenant_id, client_id)
        return build_profile(who, self._visible(who, client, client_id), summary, tags)

    def delete(self, who: Principal, client_id: str) -> None:
        found, context = self.repo.get_client_with_context(who.tenant_id, client_id, [])
        client = self._visible(who, found, client_id)
        if not who.is_admin:
            raise ForbiddenError("Only an admin can delete a client; deactivate it instead.")
        counters = counter_deltas(client, None, context.settings.timezone)
        try:
            self.repo.delete_client(who.tenant_id, client, held_guards(client), counters)
        except StaleWriteError as exc:
            raise VersionConflictError(None) from exc

    # --- bulk import -----------------------------------------------------------------------

    def check_create(self, who: Principal, data: ClientCreate) -> Client:
        """What `create` would make of `data`, without writing (an import's dry run)."""
        owner_id = data.owner_id or who.user_id
        if owner_id != who.user_id and not who.sees_all_clients:
            raise ForbiddenError("A sales user can only create clients they are responsible for.")
        self._check_group(who, data.group_id)
        context = self.repo.load_context(who.tenant_id, [owner_id])
        return self._new_client(who, data, owner_id, context)

    def create_many(
        self,
        who: Principal,
        items: list[tuple[ClientCreate, str]],
        *,
        defer_statistics: bool = False,
        context: WriteContext | None = None,
    ) -> list[Client]:
        """Create the first of `items` (each with its idempotency key) in ONE transaction,
        numbered in order: as many as fit in it and can go in together. The clients created
        (a prefix of `items`; empty when the first cannot go in with others — it is invalid
        or not allowed, a value is taken, its key was used), so the caller creates that one
        with `create` (which says exactly why it fails, or replays it) and goes on.

        `defer_statistics`: the clients are not counted in this transaction; each one's
        idempotency record keeps what it adds, and the caller (an import, with its chunk)
        adds it. `context`: a write context to start from (read again if it turns out
        stale); it is moved on past the clients created, for the caller's next batch."""
        owners = sorted({data.owner_id or who.user_id for data, _ in items})
        if owners != [who.user_id] and not who.sees_all_clients:
            return []
        known = [context] if context is not None else []

        def attempt() -> list[Client]:
            current = known.pop() if known else self.repo.load_context(who.tenant_id, owners)
            new, counters = self._batch(who, items, current, defer_statistics)
            if len(new) < 2:
                return []
            try:
                self.repo.create_clients(
                    who.tenant_id,
                    new,
                    CounterDeltas() if defer_statistics else counters,
                    current.client_seq,
                )
            except (GuardTakenError, IdempotencyKeyTakenError):
                return []
            if context is not None:  # the caller's next batch starts where this one ended
                context.settings, context.users = current.settings, current.users
                context.client_seq = current.client_seq + len(new)
            return [entry.client for entry in new]

        return retry_on_race(attempt, "creates")

    def write_context(self, who: Principal, owner_ids: list[str]) -> WriteContext:
        """The settings, number sequence and users a batch of creates starts from."""
        return self.repo.load_context(who.tenant_id, sorted({who.user_id, *owner_ids}))

    def _batch(
        self,
        who: Principal,
        items: list[tuple[ClientCreate, str]],
        context: WriteContext,
        defer_statistics: bool = False,
    ) -> tuple[list[NewClient], CounterDeltas]:
        """The longest prefix of `items` that is valid and fits in one transaction."""
        settings = context.settings
        new: list[NewClient] = []
        counters = CounterDeltas()
        seen: set[Guard] = set()
        size = 1  # the counters
        for n, (data, key) in enumerate(items):
            if data.group_id is not None:
                break  # the group checks of `create`, one by one
            numbered = WriteContext(settings, context.client_seq + n, context.users)
            try:
                client = self._new_client(who, data, data.owner_id or who.user_id, numbered)
            except (InvalidInputError, ForbiddenError):
                break
            guards = [] if settings.allow_duplicates else guards_of(client)
            deltas = counter_deltas(None, client, settings.timezone)
            # client, summary, event, number guard, idempotency record, its guards and search
            # entries; and each owner-and-group slice of statistics once
            size += 5 + len(guards) + len(search_values(client))
            slices = len(counters.slices.keys() | deltas.slices.keys())
            if seen & set(guards) or size + slices > MAX_TRANSACTION_ITEMS:
                break
            seen.update(guards)
            client = client.model_copy(update={"guarded": [g.field for g in guards]})
            changes = field_changes({}, client.editable())
            event = self._event(who, client, "created", changes, client.created_at)
            counters.add(deltas)
            digest = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
            record = IdempotencyRecord(
                who.user_id, key, digest, client.id, deltas if defer_statistics else None
            )
            new.append(NewClient(client, event, guards, record))
        return new, counters

    def import_update(
        self,
        who: Principal,
        client_id: str,
        patch: ClientUpdate,
        row: tuple[str, int] | None,
    ) -> tuple[Client, dict[str, Any]]:
        """Apply an import row's `patch`: the client after and `{field: {before, after}}`.

        `row` is (job id, row number): the change then commits together with that row's mark
        (RowMarkTakenError: the row was applied already). None previews without writing."""
        change = Change(patch.changes(), "imported")

        def attempt() -> tuple[Client, dict[str, Any]]:
            current, context = self.repo.get_client_with_context(
                who.tenant_id,
                client_id,
                [change.fields["owner_id"]] if "owner_id" in change.fields else [],
            )
            current = self._visible(who, current, client_id)
            after = self._apply(who, current, change.fields, context)
            diff = field_changes(current.editable(), after.editable())
            if not diff or row is None:
                return current, diff
            mark = RowMark(row[0], row[1], diff, client_id)
            try:
                self._write_update(who, current, after, diff, change, context, mark)
            except GuardTakenError as exc:
                raise self._duplicate(who, exc.guards) from exc
            return after.model_copy(update={"version": current.version + 1}), diff

        return retry_on_race(attempt, "changes")

    def restore(self, who: Principal, client_id: str, changes: dict[str, Any]) -> list[str]:
        """Undo an import's change: each field still holding what the import wrote gets its
        value from before back (fields changed since are left alone). The restored fields."""
        restorable = {k: v for k, v in changes.items() if k != "phone_display"}

        def derive(current: Client) -> dict[str, Any]:
            now = current.editable()
            fields: dict[str, Any] = {}
            for name, change in restorable.items():
                if now.get(name) == change.get("after"):
                    fields[name] = change.get("before")
            if "phone" in fields and fields["phone"] is not None:
                display = changes.get("phone_display", {}).get("before")
                fields["phone"] = display or fields["phone"]
            return fields

        restored: list[str] = []

        def recording(current: Client) -> dict[str, Any]:
            fields = derive(current)
            restored[:] = sorted(fields)
            return fields

        owner = changes.get("owner_id", {}).get("before")
        users = (owner,) if owner else ()
        self._change(who, client_id, Change({}, "import_undone", derive=recording, users=users))
        return restored
