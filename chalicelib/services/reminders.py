"""Sending reminder emails: task reminders, work-order reminders, the morning digest.

Delivery is exactly-once as the recipient sees it: a run finds due entries on the sparse due
index, claims each with a conditional write (only one run can), sends, and marks it sent with
SES's message id under that claim. When SES throttles or fails the entry is released with a
growing back-off, and `failed` (with the reason) after a few tries. A claim left by a run that
died expires after ten minutes and the entry is picked up again (that one case can mail twice:
SES has no idempotency key). An entry more than a day late is `skipped`, not mailed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain.reminders import (
    CLAIM_FOR,
    MAX_ATTEMPTS,
    CalendarEvent,
    HeaderInjectionError,
    Letter,
    MailPermanentError,
    MailTransientError,
    ReminderEntry,
    ReminderKind,
    ReminderState,
    at_local,
    is_stale,
    next_digest,
    retry_delay,
    work_order_fire_at,
)
from chalicelib.domain.tasks import Task, TaskStatus
from chalicelib.domain.tenants import User
from chalicelib.services.clients import Clock, utcnow
from chalicelib.services.job_runs import JobRuns

JOB = "reminders"
LOOKBACK = timedelta(days=2)  # where the first run ever starts looking
MAX_WINDOW = timedelta(days=14)  # how far back a run after an outage looks


class WorkOrderLike(Protocol):
    """What a work order offers (the work-orders service's WorkOrder has these; read-only,
    so a frozen model fits). `scheduled_at` is aware; `occurrence` a local date."""

    @property
    def id(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def client_name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str | None: ...

    @property
    def scheduled_at(self) -> datetime: ...

    @property
    def duration_minutes(self) -> int: ...

    @property
    def technician_id(self) -> str | None: ...

    @property
    def status(self) -> str: ...

    @property
    def recurrence_id(self) -> str | None: ...

    @property
    def occurrence(self) -> str | None: ...


class WorkOrderFeed(Protocol):
    """The work orders of a technician in [start, end): the work-orders service implements
    it (an index query by technician and time). A list of its WorkOrder fits (Sequence is
    covariant)."""

    def for_technician(
        self, tenant_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[WorkOrderLike]: ...


class SendContext(Protocol):
    client: Any
    task: Task | None
    user: User | None
    tenant_name: str
    tenant_zone: str | None
    tenant_language: str | None


class ReminderStore(Protocol):
    def due(self, since: datetime, now: datetime) -> list[ReminderEntry]: ...

    def replace_seen(self, seen: ReminderEntry, after: ReminderEntry) -> bool: ...

    def replace_claimed(self, after: ReminderEntry, token: str) -> bool: ...

    def put(self, entry: ReminderEntry) -> None: ...

    def delete(self, entry: ReminderEntry) -> None: ...

    def get(self, kind: ReminderKind, tenant: str, subject_id: str) -> ReminderEntry | None: ...

    def context(
        self, tenant: str, recipient_id: str | None, client_id: str | None, task_id: str | None
    ) -> SendContext: ...

    def client_names(self, tenant: str, client_ids: list[str]) -> dict[str, str]: ...

    def open_tasks_until(self, tenant: str, user_id: str, before: datetime) -> list[Task]: ...


class Outbox(Protocol):
    def deliver(self, letter: Letter, now: datetime) -> str: ...


@dataclass
class RunReport:
    found: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    taken_by_another_run: int = 0
    digests_sent: int = 0
    digests_empty: int = 0
    rescheduled: int = 0


class ReminderRunError(Exception):
    """Some entries of a run failed unexpectedly (the others were handled). Their claims
    expire and a later run tries them again."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} reminders failed: " + "; ".join(errors[:5]))
        self.errors = errors


class _NothingToSend(Exception):
    """The entry's subject is gone or no longer needs this email (the reason is kept)."""


_CLOSED_ORDER = ("done", "cancelled", "in_progress")


class ReminderService:
    def __init__(
        self,
        store: ReminderStore,
        outbox: Outbox,
        frontend_url: str,
        default_timezone: str = "Europe/Madrid",
        default_language: str = "es",
        feed: WorkOrderFeed | None = None,
        runs: JobRuns | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.frontend_url = frontend_url.rstrip("/")
        self.default_timezone = default_timezone
        self.default_language = default_language
        self.feed = feed
        self.runs = runs
        self.clock = clock

    # --- the 5-minute run ------------------------------------------------------------------

    def run(self, now: datetime | None = None) -> RunReport:
        """Send everything due: from the last successful run's time (an outage is caught up,
        up to two weeks back) to now."""
        now = now or self.clock()
        since = now - LOOKBACK
        if self.runs is not None:
            last = self.runs.last_success(JOB)
            if last is not None:
                since = max(min(last, now) - timedelta(hours=1), now - MAX_WINDOW)
            self.runs.started(JOB, now)
        report = RunReport()
        errors: list[str] = []
        for entry in self.store.due(since, now):
            report.found += 1
            try:
                if entry.kind is ReminderKind.DIGEST:
                    self._digest(entry, now, report)
                else:
                    self._one(entry, now, report)
            except Exception as exc:  # one bad entry must not hold back the others
                errors.append(f"{entry.kind.value} {entry.subject_id}: {type(exc).__name__}: {exc}")
        if errors:  # not a success: the function errs (alarm) and the next run looks again
            raise ReminderRunError(errors)
        if self.runs is not None:
            self.runs.succeeded(JOB, asdict(report), now)
        return report

    def _claim(self, entry: ReminderEntry, now: datetime, report: RunReport) -> str | None:
        token = uuid.uuid4().hex
        claimed = entry.model_copy(
            update={
                "state": ReminderState.SENDING,
                "claim": token,
                "attempts": entry.attempts + 1,
                "next_at": now + CLAIM_FOR,
            }
        )
        if self.store.replace_seen(entry, claimed):
            return token
        report.taken_by_another_run += 1
        return None

    def _one(self, entry: ReminderEntry, now: datetime, report: RunReport) -> None:
        if is_stale(entry, now):
            skipped = _finished(entry, ReminderState.SKIPPED, "more than a day late: not sent")
            if self.store.replace_seen(entry, skipped):
                report.skipped += 1
            return
        token = self._claim(entry, now, report)
        if token is None:
            return
        claimed = entry.model_copy(update={"attempts": entry.attempts + 1, "claim": token})
        try:
            letter = self._letter(claimed, now)
            message_id = self.outbox.deliver(letter, now)
        except _NothingToSend as why:
            after = _finished(claimed, ReminderState.SKIPPED, str(why))
            report.skipped += 1
        except (MailPermanentError, HeaderInjectionError) as exc:
            after = _finished(claimed, ReminderState.FAILED, str(exc))
            report.failed += 1
        except MailTransientError as exc:
            after = self._released(claimed, str(exc), now)
            if after.state is ReminderState.FAILED:
                report.failed += 1
            else:
                report.retried += 1
        else:
            after = _finished(claimed, ReminderState.SENT, None)
            after.sent_at, after.message_id = now, message_id
            report.sent += 1
        self.store.replace_claimed(after, token)

    @staticmethod
    def _released(claimed: ReminderEntry, reason: str, now: datetime) -> ReminderEntry:
        if claimed.attempts >= MAX_ATTEMPTS:
            why = f"gave up after {claimed.attempts} tries: {reason}"
            return _finished(claimed, ReminderState.FAILED, why)
        return claimed.model_copy(
            update={
                "state": ReminderState.SCHEDULED,
                "claim": None,
                "error": reason,
                "next_at": now + retry_delay(claimed.attempts),
            }
        )

    # --- composing -------------------------------------------------------------------------

    def _language(self, user: User, ctx: SendContext) -> str:
        return (user.language.value if user.language else None) or (
            ctx.tenant_language or self.default_language
        )

    def _zone(self, user: User | None, ctx: SendContext) -> str:
        return (user.timezone if user else None) or ctx.tenant_zone or self.default_timezone

    def client_url(self, client_id: str) -> str:
        return f"{self.frontend_url}/clients/{client_id}"

    def _letter(self, entry: ReminderEntry, now: datetime) -> Letter:
        if entry.kind is ReminderKind.TASK:
            return self._task_letter(entry)
        return self._work_order_letter(entry, now)

    def _recipient(self, ctx: SendContext, recipient_id: str | None) -> User:
        user = ctx.user
        if user is None:
            raise _NothingToSend(f"{recipient_id} is no longer in the organisation's directory")
        if not user.email:
            raise _NothingToSend(f"{user.user_id} has no email address for reminders")
        return user

    def _task_letter(self, entry: ReminderEntry) -> Letter:
        ctx = self.store.context(
            entry.tenant_id, entry.recipient_id, entry.client_id, entry.subject_id
        )
        task = ctx.task
        if task is None or task.status is not TaskStatus.PENDING:
            raise _NothingToSend("the task was completed or removed")
        if entry.offset not in task.reminders or task.assignee_id != entry.recipient_id:
            raise _NothingToSend("the task's reminders changed")
        user = self._recipient(ctx, entry.recipient_id)
        assert user.email is not None
        language, zone = self._language(user, ctx), self._zone(user, ctx)
        client_name = ctx.client.name if ctx.client is not None else ""
        first_line = task.description.splitlines()[0][:80] if task.description else ""
        due = (
            _day(task.due_date, language)
            if task.due_date is not None
            else _when(task.due_at or task.due_sort, zone, language)
        )
        return Letter(
            kind="task_reminder",
            to=user.email,
            language=language,
            tenant_name=ctx.tenant_name,
            subject_args={"what": first_line, "client": client_name},
            context={
                "recipient_name": user.name,
                "task": {
                    "description": task.description,
                    "due": due,
                    "date_only": task.due_date is not None,
                },
                "client": {"name": client_name, "url": self.client_url(task.client_id)},
            },
        )

    def _work_order_letter(self, entry: ReminderEntry, now: datetime) -> Letter:
        order = entry.details or {}
        start = datetime.fromisoformat(str(order.get("scheduled_at")))
        if start <= now:
            raise _NothingToSend("the work order has started already")
        ctx = self.store.context(entry.tenant_id, entry.recipient_id, None, None)
        user = self._recipient(ctx, entry.recipient_id)
        assert user.email is not None
        language, zone = self._language(user, ctx), self._zone(user, ctx)
        client_id = str(order.get("client_id"))
        url = self.client_url(client_id)
        title = str(order.get("title") or "")
        minutes = int(order.get("duration_minutes") or 60)
        return Letter(
            kind="work_order_reminder",
            to=user.email,
            language=language,
            tenant_name=ctx.tenant_name,
            subject_args={"what": title.splitlines()[0][:80], "client": order.get("client_name")},
            context={
                "recipient_name": user.name,
                "order": {
                    "title": title,
                    "when": _when(start, zone, language),
                    "duration_minutes": minutes,
                    "description": order.get("description"),
                },
                "client": {"name": order.get("client_name") or "", "url": url},
            },
            event=CalendarEvent(
                uid=entry.subject_id,
                start=start,
                minutes=minutes,
                summary=f"{title} · {order.get('client_name') or ''}".strip(" ·"),
                description=order.get("description"),
                url=url,
            ),
        )

    # --- work orders (called by the work-orders service after each write) -------------------

    def sync_work_order(
        self, tenant_id: str, before: WorkOrderLike | None, after: WorkOrderLike | None
    ) -> None:
        """(Re)schedule or cancel the technician's day-before reminder of a work order."""
        order = after or before
        if order is None or (before is not None and after is not None and _same(before, after)):
            return  # nothing the reminder depends on changed: no request at all
        existing = self.store.get(ReminderKind.WORK_ORDER, tenant_id, order.id)
        now = self.clock()
        if after is None:
            if existing is not None:
                self.store.delete(existing)
            return
        if (
            after.status in _CLOSED_ORDER
            or after.technician_id is None
            or after.scheduled_at <= now
        ):
            if existing is not None and existing.waiting:
                why = (
                    f"the work order is {after.status}" if after.technician_id else "no technician"
                )
                self.store.put(_finished(existing, ReminderState.CANCELLED, why))
            return
        ctx = self.store.context(tenant_id, after.technician_id, None, None)
        zone = self._zone(ctx.user, ctx)
        fire = max(work_order_fire_at(after.scheduled_at, zone), now)
        details = _order_details(after)
        if (
            existing is not None
            and existing.state is not ReminderState.CANCELLED
            and existing.recipient_id == after.technician_id
            and existing.details == details
        ):
            return  # the same order for the same technician: leave it as it stands
        self.store.put(
            ReminderEntry(
                kind=ReminderKind.WORK_ORDER,
                tenant_id=tenant_id,
                subject_id=after.id,
                client_id=after.client_id,
                recipient_id=after.technician_id,
                zone=zone,
                fire_at=fire,
                next_at=fire,
                details=details,
            )
        )

    # --- the morning digest ------------------------------------------------------------------

    def sync_user(self, tenant_id: str, user: User) -> None:
        """Plan the user's next digest (08:00 in their zone); called when a user is recorded
        or changes their time zone. A day already digested is never digested again."""
        existing = self.store.get(ReminderKind.DIGEST, tenant_id, user.user_id)
        zone = user.timezone
        if zone is None:
            zone = self.store.context(tenant_id, None, None, None).tenant_zone
        zone = zone or self.default_timezone
        if existing is not None and existing.zone == zone and existing.waiting:
            return
        last_day = existing.last_day if existing is not None else None
        fire = next_digest(self.clock(), zone, last_day)
        self.store.put(_digest_entry(tenant_id, user.user_id, zone, fire, last_day, existing))

    def _digest(self, entry: ReminderEntry, now: datetime, report: RunReport) -> None:
        ctx = self.store.context(entry.tenant_id, entry.subject_id, None, None)
        if ctx.user is None:
            self.store.delete(entry)
            return
        zone = self._zone(ctx.user, ctx)
        if zone != entry.zone or is_stale(entry, now):  # moved zones, or the 08:00 is past
            fire = next_digest(now, zone, entry.last_day)
            replanned = _digest_entry(entry.tenant_id, entry.subject_id, zone, fire, None, entry)
            if self.store.replace_seen(entry, replanned):
                report.rescheduled += 1
            return
        token = self._claim(entry, now, report)
        if token is None:
            return
        assert entry.fire_at is not None
        day = entry.fire_at.astimezone(ZoneInfo(zone)).date()
        claimed = entry.model_copy(update={"attempts": entry.attempts + 1, "claim": token})
        tomorrow = next_digest(now, zone, day)
        done = _digest_entry(entry.tenant_id, entry.subject_id, zone, tomorrow, day, entry)
        try:
            letter = self._digest_letter(entry, ctx, zone, day, now)
            if letter is None:
                report.digests_empty += 1
            else:
                done.message_id = self.outbox.deliver(letter, now)
                done.sent_at = now
                report.digests_sent += 1
        except _NothingToSend as why:
            done.error = str(why)
        except (MailPermanentError, HeaderInjectionError) as exc:
            done.error = str(exc)
            report.failed += 1
        except MailTransientError as exc:
            released = self._released(claimed, str(exc), now)
            if released.state is ReminderState.SCHEDULED:  # try again today
                report.retried += 1
                self.store.replace_claimed(released, token)
                return
            done.error = released.error  # given up for today; tomorrow's goes as usual
            report.failed += 1
        self.store.replace_claimed(done, token)

    def _digest_letter(
        self, entry: ReminderEntry, ctx: SendContext, zone: str, day: date, now: datetime
    ) -> Letter | None:
        """The user's overdue and today's tasks and today's work orders; None when there is
        nothing."""
        user = self._recipient(ctx, entry.subject_id)
        assert user.email is not None
        language = self._language(user, ctx)
        start = at_local(day, datetime.min.time(), zone)
        end = at_local(day + timedelta(days=1), datetime.min.time(), zone)
        tasks = self.store.open_tasks_until(entry.tenant_id, user.user_id, end)
        orders = []
        if self.feed is not None:
            found = self.feed.for_technician(entry.tenant_id, user.user_id, start, end)
            orders = [o for o in found if o.status not in ("done", "cancelled")]
        if not tasks and not orders:
            return None
        names = self.store.client_names(entry.tenant_id, [t.client_id for t in tasks])

        def brief(task: Task) -> dict[str, Any]:
            due = (
                _day(task.due_date, language)
                if task.due_date is not None
                else _when(task.due_at or task.due_sort, zone, language)
            )
            return {
                "description": task.description,
                "due": due,
                "client_name": names.get(task.client_id, ""),
                "client_url": self.client_url(task.client_id),
            }

        overdue = [brief(t) for t in tasks if t.due_sort < now]
        today = [brief(t) for t in tasks if t.due_sort >= now]
        order_briefs = [
            {
                "title": o.title,
                "when": _when(o.scheduled_at, zone, language, with_day=False),
                "client_name": o.client_name,
                "client_url": self.client_url(o.client_id),
            }
            for o in sorted(orders, key=lambda o: o.scheduled_at)
        ]
        return Letter(
            kind="digest",
            to=user.email,
            language=language,
            tenant_name=ctx.tenant_name,
            subject_args={"tasks": len(overdue) + len(today), "orders": len(order_briefs)},
            context={
                "recipient_name": user.name,
                "day": _day(day, language),
                "overdue": overdue,
                "today": today,
                "orders": order_briefs,
            },
        )


def _finished(entry: ReminderEntry, state: ReminderState, error: str | None) -> ReminderEntry:
    return entry.model_copy(update={"state": state, "error": error, "claim": None, "next_at": None})


def _digest_entry(
    tenant: str,
    user_id: str,
    zone: str,
    fire: datetime,
    last_day: date | None,
    previous: ReminderEntry | None,
) -> ReminderEntry:
    """The digest schedule of a user: next at `fire`, keeping the last one's record."""
    kept = {}
    if previous is not None:
        kept = {"sent_at": previous.sent_at, "message_id": previous.message_id}
        last_day = last_day or previous.last_day
    return ReminderEntry(
        kind=ReminderKind.DIGEST,
        tenant_id=tenant,
        subject_id=user_id,
        recipient_id=user_id,
        zone=zone,
        fire_at=fire,
        next_at=fire,
        last_day=last_day,
        **kept,
    )


def _same(before: WorkOrderLike, after: WorkOrderLike) -> bool:
    return (
        _order_details(before) == _order_details(after)
        and before.technician_id == after.technician_id
        and before.status == after.status
    )


def _order_details(order: WorkOrderLike) -> dict[str, Any]:
    return {
        "client_id": order.client_id,
        "client_name": order.client_name,
        "title": order.title,
        "description": order.description,
        "scheduled_at": order.scheduled_at.astimezone(UTC).isoformat(),
        "duration_minutes": order.duration_minutes,
        "recurrence_id": order.recurrence_id,
        "occurrence": order.occurrence,
    }


_FORMATS = {"es": ("%d/%m/%Y", "%H:%M"), "en": ("%Y-%m-%d", "%H:%M")}


def _day(day: date, language: str) -> str:
    return day.strftime(_FORMATS.get(language, _FORMATS["en"])[0])


def _when(instant: datetime, zone: str, language: str, with_day: bool = True) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    day_format, time_format = _FORMATS.get(language, _FORMATS["en"])
    text = local.strftime(f"{day_format} {time_format}" if with_day else time_format)
    return f"{text} ({zone})"
