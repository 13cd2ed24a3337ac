"""The local stack's event pump: what AWS does for the app's non-HTTP handlers.

moto neither invokes Lambdas nor runs EventBridge schedules, so this thread does: it
long-polls every queue an `@on_sqs_message` handler listens on and hands the messages to
that handler as an SQS event (deleted once the handler returns; left for redelivery after
the visibility timeout if it raises), and runs every `@schedule` handler on its rate.
`run_schedules_once()` is the on-demand form (`make jobs`).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalice.app import Chalice, Rate, ScheduledEventConfig, SQSEventConfig

_UNIT_SECONDS = {Rate.MINUTES: 60, Rate.HOURS: 3600, Rate.DAYS: 86400}
Say = Callable[[str], None]


def _context(name: str) -> Any:
    from chalice.test import LambdaContext

    return LambdaContext(name, memory_size=1024, max_runtime_ms=900_000)


def sqs_event(queue_arn: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for m in messages
        ]
    }


def scheduled_event(name: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"local-{name}-{time.time_ns()}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-1",
        "resources": [f"arn:aws:events:eu-west-1:123456789012:rule/{name}"],
        "detail": {},
    }


def period_seconds(config: ScheduledEventConfig) -> float:
    expression = config.schedule_expression
    if isinstance(expression, Rate):
        return float(expression.value * _UNIT_SECONDS[expression.unit])
    raise ValueError(f"{config.name}: only Rate schedules run locally, not {expression!r}")


def run_schedules_once(app: Chalice, say: Say = print) -> None:
    """Every scheduled handler once, now."""
    for config in app.event_sources:
        if isinstance(config, ScheduledEventConfig):
            _invoke(app, config.name, scheduled_event(config.name), say)


def _invoke(app: Chalice, name: str, event: dict[str, Any], say: Say) -> bool:
    try:
        app.handler_map[name](event, _context(name))
        return True
    except Exception:  # a failing handler is reported and retried, never kills the pump
        say(f"event pump: {name} failed:\n{traceback.format_exc()}")
        return False


class EventPump(threading.Thread):
    """Polls the app's queues and fires its schedules until `stop()`."""

    def __init__(self, app: Chalice, session: Any, say: Say = print) -> None:
        super().__init__(name="event-pump", daemon=True)
        self.app, self.say = app, say
        self.sqs = session.client("sqs")
        self._stop = threading.Event()
        self.queues = [c for c in app.event_sources if isinstance(c, SQSEventConfig)]
        self.schedules = [c for c in app.event_sources if isinstance(c, ScheduledEventConfig)]
        self._due = {c.name: time.monotonic() + period_seconds(c) for c in self.schedules}

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        urls = {c.name: self.sqs.get_queue_url(QueueName=c.queue)["QueueUrl"] for c in self.queues}
        arns = {
            name: self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            for name, url in urls.items()
        }
        while not self._stop.is_set():
            for config in self.queues:
                self._poll(config, urls[config.name], arns[config.name])
            now = time.monotonic()
            for config in self.schedules:
                if now >= self._due[config.name]:
                    self._due[config.name] = now + period_seconds(config)
                    _invoke(self.app, config.name, scheduled_event(config.name), self.say)
            if not self.queues:
                self._stop.wait(1.0)

    def _poll(self, config: SQSEventConfig, url: str, arn: str) -> None:
        reply = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(config.batch_size, 10),
            WaitTimeSeconds=1,
            AttributeNames=["All"],
        )
        messages = reply.get("Messages", [])
        if messages and _invoke(self.app, config.name, sqs_event(arn, messages), self.say):
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )
