"""The reminder emails themselves: autoescaped HTML, plain text, languages, headers that
refuse CR/LF, the .ics attachment, and the templates shipped inside chalicelib/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.adapters.email import (
    TEMPLATES,
    Rendered,
    SesOutbox,
    build_message,
    ics_event,
    ics_text,
    render,
)
from chalicelib.domain.reminders import CalendarEvent, HeaderInjectionError, Letter
from tests.functional.conftest import new_client
from tests.functional.relations_helpers import add_task
from tests.functional.reminders_helpers import add_user, bodies, freeze_all, run_schedule, sent, utc

NOW = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)


def letter(language: str = "es", client_name: str = "Bodega Sur", **extra: object) -> Letter:
    fields: dict = dict(
        kind="task_reminder",
        to="ana@example.com",
        language=language,
        tenant_name="Acme <Field> Services",
        subject_args={"what": "Llamar", "client": client_name},
        context={
            "recipient_name": "Ana",
            "task": {"description": "Llamar", "due": "10/03/2026", "date_only": True},
            "client": {"name": client_name, "url": "https://app.test.crm/clients/c1"},
        },
    )
    fields.update(extra)
    return Letter(**fields)


def test_html_is_autoescaped_and_text_is_plain():
    rendered = render(letter(client_name="<script>alert('x')</script>"))
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in rendered.html
    assert "Acme &lt;Field&gt; Services" in rendered.html
    assert "<script>alert('x')</script>" in rendered.text  # text is not HTML: kept as typed
    assert rendered.subject == "Recordatorio: Llamar (<script>alert('x')</script>)"


def test_each_language_has_its_words():
    spanish, english = render(letter("es")), render(letter("en"))
    assert "Vence el día: 10/03/2026" in spanish.text and "Hola Ana" in spanish.text
    assert "Due on: 10/03/2026" in english.text and "Hello Ana" in english.text
    assert 'lang="es"' in spanish.html and 'lang="en"' in english.html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "ana@example.com\r\nBcc: all@example.com"),
        ("subject", "Hola\nBcc: all@example.com"),
        ("sender", "CRM <reminders@crm.test>\rBcc: x@example.com"),
    ],
)
def test_a_line_break_in_any_header_value_is_refused(field, value):
    rendered = Rendered(subject="Hola", html="<p>x</p>", text="x")
    kwargs = {"sender": "CRM <reminders@crm.test>", "to": "ana@example.com"}
    if field == "subject":
        rendered.subject = value
    else:
        kwargs[field] = value
    with pytest.raises(HeaderInjectionError):
        build_message(kwargs["sender"], kwargs["to"], rendered)


def test_a_tenant_name_with_a_line_break_is_refused_in_from():
    outbox = SesOutbox("CRM <reminders@crm.test>", "eu-west-1")
    with pytest.raises(HeaderInjectionError):
        outbox.compose(letter(tenant_name="Acme\r\nBcc: x@example.com"), NOW)


def test_the_ics_follows_rfc_5545():
    body = ics_event(
        uid="c1.0190aabbccdd0011223344",
        start=datetime(2026, 3, 10, 10, 0, tzinfo=UTC),
        minutes=90,
        summary="Revisión; caldera, planta 2",
        description="Line one\nLine two \\ end",
        location=None,
        stamp=NOW,
        url="https://app.test.crm/clients/c1",
    )
    text = body.decode()
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    assert "UID:c1.0190aabbccdd0011223344" in lines
    assert "DTSTART:20260310T100000Z" in lines and "DTEND:20260310T113000Z" in lines
    assert "SUMMARY:Revisión\\; caldera\\, planta 2" in lines
    assert "DESCRIPTION:Line one\\nLine two \\\\ end" in lines
    assert all(len(line.encode()) <= 75 for line in lines)


def test_long_ics_lines_are_folded_without_splitting_characters():
    body = ics_event("u1", NOW, 30, "ñ" * 100, None, None, NOW).decode()
    summary = body[body.index("SUMMARY:") : body.index("END:VEVENT")]
    assert "\r\n " in summary
    assert summary.replace("\r\n ", "").strip() == "SUMMARY:" + "ñ" * 100
    assert ics_text("a,b;c\\d\r\ne") == "a\\,b\\;c\\\\d\\ne"


def test_a_work_order_email_carries_the_ics_attachment():
    outbox = SesOutbox("CRM <reminders@crm.test>", "eu-west-1")
    event = CalendarEvent(
        uid="wo-1", start=datetime(2026, 3, 10, 10, 0, tzinfo=UTC), minutes=60, summary="Visit"
    )
    message = outbox.compose(
        Letter(
            kind="work_order_reminder",
            to="tech@example.com",
            language="en",
            tenant_name="Acme",
            subject_args={"what": "Visit", "client": "Bodega"},
            context={
                "recipient_name": "Tech",
                "order": {
                    "title": "Visit",
                    "when": "2026-03-10 11:00 (Europe/Madrid)",
                    "duration_minutes": 60,
                    "description": None,
                },
                "client": {"name": "Bodega", "url": "https://app.test.crm/clients/c1"},
            },
            event=event,
        ),
        NOW,
    )
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "work-order.ics"
    assert b"UID:wo-1\r\n" in attachment.get_payload(decode=True)
    assert message["Subject"] == "Tomorrow: Visit at Bodega"


def test_the_templates_live_in_the_package_chalice_ships():
    # `chalice package` ships chalicelib/ whole: the templates must be inside it
    assert TEMPLATES.parent.name == "chalicelib"
    names = {p.name for p in TEMPLATES.iterdir()}
    for kind in ("task_reminder", "work_order_reminder", "digest"):
        assert {f"{kind}.html", f"{kind}.txt"} <= names


def test_a_client_named_script_arrives_escaped(api, chalice_client):
    clock = freeze_all(utc(2026, 3, 1))
    add_user(api, "u-ana", timezone="Europe/Madrid", language="es")
    client = new_client(api, name="<script>alert(1)</script>")
    add_task(
        api,
        client["id"],
        description="<b>bold</b> & more",
        assignee_id="u-ana",
        due_date="2026-03-10",
        reminders=["PT1H"],
    )
    clock.now = utc(2026, 3, 10, 7, 1)
    assert run_schedule(chalice_client)["sent"] == 1
    [mail] = sent()
    text, html = bodies(mail)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert "<script>alert(1)</script>" in text
