"""Each scheduled job records its runs; `GET /health` says when each last succeeded and
flags one whose last success is more than two periods old."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.model import Model
from chalicelib.services.clients import Clock, utcnow

# The scheduled jobs and their periods (their schedules are on the blueprints).
JOBS: dict[str, timedelta] = {
    "reminders": timedelta(minutes=5),
    "work_orders": timedelta(minutes=60),
}


class JobRunStore(Protocol):
    def record_run(self, job: str, at: datetime, report: dict[str, Any] | None) -> None: ...

    def job_runs(self, jobs: list[str]) -> dict[str, tuple[datetime | None, datetime | None]]: ...


class JobStatus(Model):
    period_minutes: int
    last_started_at: datetime | None = None
    last_success_at: datetime | None = None
    late: bool
    detail: str | None = None


class JobRuns:
    def __init__(self, store: JobRunStore, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    def started(self, job: str, at: datetime | None = None) -> None:
        self.store.record_run(job, at or self.clock(), None)

    def succeeded(self, job: str, report: dict[str, Any], at: datetime | None = None) -> None:
        self.store.record_run(job, at or self.clock(), report)

    def last_success(self, job: str) -> datetime | None:
        return self.store.job_runs([job])[job][1]

    def status(self) -> dict[str, JobStatus]:
        """Every known job: when it last started and succeeded, and whether it is late (its
        last success older than two periods, or none ever)."""
        now = self.clock()
        runs = self.store.job_runs(list(JOBS))
        found = {}
        for job, period in JOBS.items():
            started, success = runs[job]
            minutes = int(period.total_seconds() // 60)
            detail: str | None = None
            if success is None:
                detail = "never run successfully"
                late = True
            else:
                late = now - success > 2 * period
                detail = f"no successful run for {_ago(now - success)}" if late else None
            found[job] = JobStatus(
                period_minutes=minutes,
                last_started_at=started,
                last_success_at=success,
                late=late,
                detail=detail,
            )
        return found


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} hours"
