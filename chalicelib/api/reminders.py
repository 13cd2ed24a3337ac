"""The reminder emails' scheduled function: every 5 minutes, send what is due."""

from __future__ import annotations

from chalice.app import Blueprint, CloudWatchEvent, Rate

from chalicelib.api.deps import reminder_service

reminders_bp = Blueprint(__name__)


@reminders_bp.schedule(Rate(5, unit=Rate.MINUTES), name="send_reminders")
def send_reminders(event: CloudWatchEvent) -> dict[str, int]:
    """Task reminders, work-order reminders and morning digests that are due (and those a
    late or failed run missed); records the run for `GET /health`."""
    report = reminder_service().run()
    return vars(report)
