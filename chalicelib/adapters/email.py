"""Reminder emails: jinja2 rendering (HTML autoescaped + text), the MIME message with its
.ics attachment, and sending it through SES (v2, raw message).

jinja2 and boto3 are imported inside the functions that use them: the API's cold start never
pays for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib.domain.reminders import (
    HeaderInjectionError,
    Letter,
    MailPermanentError,
    MailTransientError,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


_PERMANENT = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "MailFromDomainNotVerified",
    "BadRequestException",
    "AccountSuspendedException",
    "InvalidParameterValue",
    "NotFoundException",
}


WORDS: dict[str, dict[str, str]] = {
    "es": {
        "task_subject": "Recordatorio: {what} ({client})",
        "work_order_subject": "Mañana: {what} en {client}",
        "digest_subject": "Tu día: {tasks} tareas y {orders} órdenes de trabajo",
        "hello": "Hola",
        "task_intro": "Te recordamos esta tarea",
        "due": "Vence",
        "due_day": "Vence el día",
        "client": "Cliente",
        "open_client": "Abrir la ficha del cliente",
        "work_order_intro": "Mañana tienes esta orden de trabajo",
        "when": "Cuándo",
        "duration": "Duración",
        "minutes": "minutos",
        "description": "Descripción",
        "digest_intro": "Esto es lo que tienes para hoy",
        "overdue": "Tareas vencidas",
        "today": "Tareas de hoy",
        "orders_today": "Órdenes de trabajo de hoy",
        "footer": "Este correo lo envía {tenant} a través del CRM.",
    },
    "en": {
        "task_subject": "Reminder: {what} ({client})",
        "work_order_subject": "Tomorrow: {what} at {client}",
        "digest_subject": "Your day: {tasks} tasks and {orders} work orders",
        "hello": "Hello",
        "task_intro": "A reminder about this task",
        "due": "Due",
        "due_day": "Due on",
        "client": "Client",
        "open_client": "Open the client's record",
        "work_order_intro": "Tomorrow you have this work order",
        "when": "When",
        "duration": "Duration",
        "minutes": "minutes",
        "description": "Description",
        "digest_intro": "Here is what you have today",
        "overdue": "Overdue tasks",
        "today": "Today's tasks",
        "orders_today": "Today's work orders",
        "footer": "This email is sent by {tenant} through the CRM.",
    },
}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["en"])


@dataclass
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Rendered:
    subject: str
    html: str
    text: str


@lru_cache(maxsize=1)
def _environment() -> Any:
    """One environment, built on first use: `.html` templates autoescaped, `.txt` plain."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(letter: Letter) -> Rendered:
    """`<kind>.html` (autoescaped) and `<kind>.txt` in the letter's language."""
    w = words(letter.language)
    subject = w[f"{letter.kind.removesuffix('_reminder')}_subject"].format(**letter.subject_args)
    context = dict(
        letter.context, w=w, lang=letter.language, tenant_name=letter.tenant_name, subject=subject
    )
    env = _environment()
    html = env.get_template(f"{letter.kind}.html").render(**context)
    text = env.get_template(f"{letter.kind}.txt").render(**context)
    return Rendered(subject=subject, html=html, text=text)


def _header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjectionError(f"the {name} header would hold a line break")
    return value


def build_message(
    sender: str,
    to: str,
    rendered: Rendered,
    attachments: list[Attachment] | None = None,
    from_name: str | None = None,
) -> EmailMessage:
    """A multipart/alternative (text, HTML) message, mixed with the attachments. Any CR or
    LF in the sender, recipient, display name or subject is refused."""
    _header("From", sender)
    _header("To", to)
    _header("Subject", rendered.subject)
    message = EmailMessage()
    display, address = parseaddr(sender)
    if from_name is not None:
        display = _header("From", from_name)
    message["From"] = formataddr((display, address)) if display else address
    message["To"] = str(Address(addr_spec=to))
    message["Subject"] = rendered.subject
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for a in attachments or []:
        message.add_attachment(
            a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename, params=a.params
        )
    return message


# --- iCalendar (RFC 5545) ---------------------------------------------------------------------


def ics_text(value: str) -> str:
    """RFC 5545 TEXT escaping: backslash, semicolon, comma, and line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF + space (never splitting a UTF-8
    character)."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _ics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_event(
    uid: str,
    start: datetime,
    minutes: int,
    summary: str,
    description: str | None,
    location: str | None,
    stamp: datetime,
    url: str | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT, CRLF line endings, UID = the work order's id."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CRM//Work orders//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{ics_text(uid)}",
        f"DTSTAMP:{_ics_time(stamp)}",
        f"DTSTART:{_ics_time(start)}",
        f"DTEND:{_ics_time(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{ics_text(summary)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{ics_text(description)}")
    if location:
        lines.append(f"LOCATION:{ics_text(location)}")
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


# --- SES ----------------------------------------------------------------------------------------


class SesOutbox:
    """Composes letters and sends them as raw MIME messages through SES v2; the client is
    built on first use (tests may wrap it in botocore's Stubber)."""

    def __init__(self, sender: str, region: str, client: Any = None) -> None:
        self.sender = sender
        self.region = region
        self._client = client

    def compose(self, letter: Letter, now: datetime) -> EmailMessage:
        rendered = render(letter)
        attachments = []
        if letter.event is not None:
            e = letter.event
            content = ics_event(
                e.uid, e.start, e.minutes, e.summary, e.description, None, now, e.url
            )
            attachments.append(
                Attachment("work-order.ics", content, "text", "calendar", {"method": "PUBLISH"})
            )
        display = parseaddr(self.sender)[0]
        from_name = f"{letter.tenant_name} · {display}" if letter.tenant_name else None
        return build_message(self.sender, letter.to, rendered, attachments, from_name)

    def deliver(self, letter: Letter, now: datetime) -> str:
        """Compose and send; SES's message id. HeaderInjectionError, MailTransientError or
        MailPermanentError when it cannot go."""
        return self.send(self.compose(letter, now))

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sesv2", region_name=self.region)
        return self._client

    def send(self, message: EmailMessage) -> str:
        """SES's message id; MailTransientError or MailPermanentError when it refuses."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = self.client.send_email(Content={"Raw": {"Data": message.as_bytes()}})
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            text = exc.response.get("Error", {}).get("Message", "")
            reason = f"SES {code}: {text}".strip().rstrip(":")
            if code in _PERMANENT:
                raise MailPermanentError(reason) from exc
            raise MailTransientError(reason) from exc
        except BotoCoreError as exc:
            raise MailTransientError(f"SES unreachable: {type(exc).__name__}") from exc
        return str(reply["MessageId"])
