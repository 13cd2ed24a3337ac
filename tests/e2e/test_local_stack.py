"""The local stack (`make run`) end to end: a real `python -m local.stack` on free ports,
spoken to over HTTP with the tokens it prints. One stack for the whole module."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]  # one stack per run

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    url: str
    tokens: dict[str, dict[str, str]]  # user id → {tenant, user, role, name, token}
    session: requests.Session
    moto_port: int = 0

    def request(self, method: str, path: str, user: str | None, **kw: Any) -> requests.Response:
        headers = dict(kw.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]['token']}"
        return self.session.request(method, self.url + path, headers=headers, timeout=30, **kw)

    def get(self, path: str, user: str | None = None, **kw: Any) -> requests.Response:
        return self.request("GET", path, user, **kw)

    def post(self, path: str, user: str, body: Any) -> requests.Response:
        return self.request("POST", path, user, json=body)

    def all_clients(self, user: str, limit: int = 200) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": limit}
        while True:
            reply = self.get("/clients", user, params=params)
            assert reply.status_code == 200, reply.text
            page = reply.json()
            items += page["items"]
            if not page["next_cursor"]:
                return items
            params["cursor"] = page["next_cursor"]


def _output(log: Path) -> str:
    return log.read_text(errors="replace")[-5000:] if log.exists() else "(no output)"


def _wait_for_tokens(process: subprocess.Popen[bytes], tokens_file: Path, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not tokens_file.exists():
        if process.poll() is not None:
            pytest.fail(f"local.stack exited with {process.returncode}:\n{_output(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"local.stack not ready after {START_TIMEOUT:.0f} s:\n{_output(log)}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the stack stops its children), then SIGKILL to the whole process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # anything left behind in its group
    process.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("local-stack")
    tokens_file, log = workdir / "tokens.json", workdir / "stack.log"
    port = free_port()
    # The stack sets up its own AWS environment; never hand it an endpoint of ours.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    moto_port = free_port()
    env.update(MOTO_PORT=str(moto_port), PORT=str(port), LOCAL_TOKENS_FILE=str(tokens_file))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: nothing outlives the module
        )
        try:
            _wait_for_tokens(process, tokens_file, log)
            rows = json.loads(tokens_file.read_text())
            with requests.Session() as session:
                users = {r["user"]: r for r in rows}
                yield Stack(f"http://127.0.0.1:{port}", users, session, moto_port)
        finally:
            _stop(process)
    assert process.returncode == 0, f"the stack did not stop cleanly:\n{_output(log)}"


def _problem(reply: requests.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = reply.json()
    return body


def _unique_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}@example.com"


# --- the stack as started ---------------------------------------------------------------------


def test_health_answers_without_a_token(stack: Stack) -> None:
    reply = stack.get("/health")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    jobs = body.pop("jobs")  # the scheduled jobs' runs (tests/functional/test_digest.py)
    assert body == {"status": "ok", "stage": "dev", "table": "ok", "detail": None}
    assert set(jobs) == {"reminders", "work_orders"}


def test_no_token_is_401(stack: Stack) -> None:
    # The gateway refuses a request without the header before the authorizer runs, as API
    # Gateway does: its own JSON, not problem+json.
    reply = stack.get("/clients")
    assert reply.status_code == 401, reply.text
    assert reply.json() == {"message": "Unauthorized"}


def test_a_token_from_elsewhere_is_401_problem(stack: Stack) -> None:
    forged = stack.tokens["school-admin"]["token"][:-6] + "AAAAAA"
    reply = stack.get("/clients", headers={"Authorization": f"Bearer {forged}"})
    assert _problem(reply, 401)["title"] == "Sign-in required"


def test_tokens_file_names_every_demo_user(stack: Stack) -> None:
    expected = {
        f"{tenant}-{suffix}"
        for tenant in ("school", "fieldsvc")
        for suffix in ("admin", "manager", "sales-1", "sales-2")
    }
    assert set(stack.tokens) == expected
    for user, row in stack.tokens.items():
        assert row["tenant"] == user.split("-")[0]
        assert row["role"] == user.split("-")[1]
        assert row["name"]


@pytest.mark.parametrize("user", ["school-admin", "school-sales-2", "fieldsvc-manager"])
def test_each_token_signs_in(stack: Stack, user: str) -> None:
    reply = stack.get("/me", user)
    assert reply.status_code == 200, reply.text
    assert reply.json()["user_id"] == user
    assert reply.json()["name"] == stack.tokens[user]["name"]


@pytest.mark.parametrize(
    ("tenant", "name", "timezone", "region", "prefix"),
    [
        ("school", "Academia Lumen", "Europe/Madrid", "ES", "+34"),
        ("fieldsvc", "Servicios Técnicos del Plata", "America/Argentina/Buenos_Aires", "AR", "+54"),
    ],
)
def test_demo_tenants_are_seeded(
    stack: Stack, tenant: str, name: str, timezone: str, region: str, prefix: str
) -> None:
    settings = stack.get("/settings", f"{tenant}-admin").json()
    assert (settings["name"], settings["timezone"]) == (name, timezone)
    assert (settings["default_phone_region"], settings["language"]) == (region, "es")
    users = stack.get("/users", f"{tenant}-admin").json()["items"]
    assert sorted(u["user_id"] for u in users) == sorted(
        u for u in stack.tokens if u.startswith(f"{tenant}-")
    )
    clients = stack.all_clients(f"{tenant}-admin")
    assert len(clients) >= 200
    phones = [c["phone"] for c in clients if c["phone"]]
    assert phones and all(p.startswith(prefix) for p in phones)
    assert len(set(phones)) == len(phones)
    emails = [c["email"].lower() for c in clients if c["email"]]
    assert len(set(emails)) == len(emails)
    assert {c["status"] for c in clients} == {"active", "inactive"}
    assert {c["type"] for c in clients} == {"lead", "prospect", "client", "vip"}


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", ["school", "fieldsvc"])
def test_admin_and_manager_see_the_whole_tenant_sales_their_own_and_their_groups(
    stack: Stack, tenant: str
) -> None:
    everyone = stack.all_clients(f"{tenant}-admin")
    assert 200 <= len(everyone) < 260
    assert all(c["owner_id"].startswith(f"{tenant}-") for c in everyone)
    assert len(stack.all_clients(f"{tenant}-manager")) == len(everyone)
    for user in (f"{tenant}-sales-1", f"{tenant}-sales-2"):
        groups = {g["id"] for g in stack.get("/groups", user).json()["items"]}
        seen = stack.all_clients(user)
        assert 0 < len(seen) < len(everyone)
        expected = [c["id"] for c in everyone if c["owner_id"] == user or c["group_id"] in groups]
        assert [c["id"] for c in seen] == expected
    # The demo group is the second salesperson's: they see more than they own.
    assert stack.get("/groups", f"{tenant}-sales-2").json()["items"]


def test_pages_follow_the_cursor(stack: Stack) -> None:
    first = stack.get("/clients", "fieldsvc-admin", params={"limit": 30}).json()
    assert len(first["items"]) == 30 and first["next_cursor"]
    paged = stack.all_clients("fieldsvc-admin", limit=30)
    ids = [c["id"] for c in paged]
    assert len(ids) == len(set(ids)) >= 200
    assert ids[:30] == [c["id"] for c in first["items"]]
    assert ids == [c["id"] for c in stack.all_clients("fieldsvc-admin")]
    created = [c["created_at"] for c in paged]
    assert created == sorted(created, reverse=True)  # newest first


def test_a_cursor_is_not_accepted_by_another_tenant(stack: Stack) -> None:
    cursor = stack.get("/clients", "fieldsvc-admin", params={"limit": 5}).json()["next_cursor"]
    reply = stack.get("/clients", "school-admin", params={"cursor": cursor})
    assert _problem(reply, 400)["errors"][0]["field"] == "cursor"


def test_another_tenants_client_is_not_found(stack: Stack) -> None:
    theirs = stack.get("/clients", "fieldsvc-admin", params={"limit": 1}).json()["items"][0]
    assert stack.get(f"/clients/{theirs['id']}", "fieldsvc-admin").status_code == 200
    _problem(stack.get(f"/clients/{theirs['id']}", "school-admin"), 404)


def test_a_sales_user_cannot_read_a_colleagues_client(stack: Stack) -> None:
    colleagues = stack.get("/clients", "school-sales-2", params={"limit": 1}).json()["items"][0]
    _problem(stack.get(f"/clients/{colleagues['id']}", "school-sales-1"), 404)


# --- the relationship around a client, as seeded ----------------------------------------------

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CATALOGUES = {
    "school": {"Inglés B2", "Matrícula 2027", "Beca", "Empresa", "Recomienda"},
    "fieldsvc": {"Contrato anual", "Urgente", "Zona Norte", "Zona Sur", "Equipo crítico"},
}


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("tenant", ["school", "fieldsvc"])
def test_the_tag_catalogue_is_seeded_with_distinct_colours(stack: Stack, tenant: str) -> None:
    reply = stack.get("/tags", f"{tenant}-sales-1")
    assert reply.status_code == 200, reply.text
    tags = reply.json()["items"]
    assert CATALOGUES[tenant] <= {t["name"] for t in tags}
    colours = [t["color"] for t in tags]
    assert all(COLOUR.match(c) for c in colours)
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize("user", ["school-sales-1", "fieldsvc-sales-2"])
def test_a_sales_user_has_follow_ups_in_every_bucket(stack: Stack, user: str) -> None:
    now = datetime.now(UTC)
    for bucket in ("overdue", "today", "this_week", "next_week"):
        reply = stack.get("/tasks", user, params={"bucket": bucket})
        assert reply.status_code == 200, reply.text
        tasks = reply.json()["items"]
        assert tasks, f"{user} has no task in {bucket}"
        assert {(t["assignee_id"], t["status"]) for t in tasks} == {(user, "pending")}
        if bucket == "overdue":
            timed = [_instant(t["due_at"]) for t in tasks if t["due_at"]]
            assert timed and all(due < now for due in timed)


@pytest.mark.parametrize("user", ["school-sales-2", "fieldsvc-sales-1"])
def test_the_bell_counts_a_sales_users_scheduled_activities(stack: Stack, user: str) -> None:
    params = {"status": "scheduled", "responsible": "me"}
    reply = stack.get("/activities", user, params=params)
    assert reply.status_code == 200, reply.text
    bell = reply.json()
    assert bell["count"] >= len(bell["items"]) > 0
    assert {(a["status"], a["responsible_id"]) for a in bell["items"]} == {("scheduled", user)}
    when = [_instant(a["at"]) for a in bell["items"]]
    assert when == sorted(when)  # soonest first
    assert when[0] > datetime.now(UTC) - timedelta(hours=1)  # coming, not forgotten


@pytest.fixture(scope="module")
def tagged_client(stack: Stack) -> dict[str, Any]:
    """The newest profile of school-sales-1 with tags and an activity done."""
    user = "school-sales-1"
    for client in stack.get("/clients", user, params={"limit": 60}).json()["items"]:
        reply = stack.get(f"/clients/{client['id']}", user)
        assert reply.status_code == 200, reply.text
        profile: dict[str, Any] = reply.json()
        if profile["tags"] and profile["last_activity"]:
            return profile
    pytest.fail(f"none of the newest clients of {user} has tags and an activity done")


def test_a_seeded_profile_shows_its_tags_and_last_activity(
    stack: Stack, tagged_client: dict[str, Any]
) -> None:
    catalogue = {t["id"]: t for t in stack.get("/tags", "school-sales-1").json()["items"]}
    for tag in tagged_client["tags"]:
        assert COLOUR.match(tag["color"])
        assert (tag["name"], tag["color"]) == (
            catalogue[tag["id"]]["name"],
            catalogue[tag["id"]]["color"],
        )
    last = tagged_client["last_activity"]
    assert last["status"] == "done"
    assert last["id"].startswith(f"{tagged_client['id']}.")
    assert _instant(last["at"]) < datetime.now(UTC)


def test_a_seeded_timeline_tells_several_kinds_of_action(
    stack: Stack, tagged_client: dict[str, Any]
) -> None:
    reply = stack.get(f"/clients/{tagged_client['id']}/timeline", "school-sales-1")
    assert reply.status_code == 200, reply.text
    events = reply.json()["items"]
    actions = {e["action"] for e in events}
    assert {"created", "tags_changed", "activity_created"} <= actions
    when = [_instant(e["at"]) for e in events]
    assert when == sorted(when, reverse=True)  # newest first


def test_the_pipeline_has_history(stack: Stack) -> None:
    """Conversions in both tenants; linked students in the school only."""
    school, fieldsvc = stack.all_clients("school-admin"), stack.all_clients("fieldsvc-admin")
    for clients in (school, fieldsvc):
        converted = [c for c in clients if c["converted_at"]]
        assert converted and {c["type"] for c in converted} <= {"client", "vip"}
    students = [c["student_id"] for c in school if c["student_id"]]
    assert students and all(re.match(r"^ALU-\d{4}-\d{4}$", s) for s in students)
    assert not any(c["student_id"] for c in fieldsvc)


# --- writing over HTTP ----------------------------------------------------------------------


def test_create_then_read_with_etag(stack: Stack) -> None:
    body = {
        "name": "Inés Prueba Vidal",
        "email": _unique_email(),
        "phone": "699 123 457",
        "address": {"city": "Madrid", "country": "ES", "lat": 40.42, "lng": -3.7},
        "stage": "prospect",
        "source": "web",
    }
    created = stack.post("/clients", "school-sales-1", body)
    assert created.status_code == 201, created.text
    client = created.json()
    assert created.headers["ETag"] == '"1"'
    assert client["owner_id"] == "school-sales-1"
    assert client["phone"] == "+34699123457"
    assert client["phone_display"] == "699 123 457"

    read = stack.get(f"/clients/{client['id']}", "school-sales-1")
    assert read.status_code == 200, read.text
    assert read.headers["ETag"] == '"1"'
    profile = read.json()  # the client and what its screen shows around it: nothing yet
    assert {field: profile[field] for field in client} == client
    assert (profile["tags"], profile["open_tasks"], profile["last_activity"]) == ([], 0, None)
    assert stack.get(f"/clients/{client['id']}", "school-manager").status_code == 200
    _problem(stack.get(f"/clients/{client['id']}", "school-sales-2"), 404)


def test_duplicate_email_is_409_naming_the_holder(stack: Stack) -> None:
    holder = next(c for c in stack.all_clients("school-admin") if c["email"])
    reply = stack.post("/clients", "school-admin", {"name": "Copia", "email": holder["email"]})
    problem = _problem(reply, 409)
    assert problem["detail"].startswith(f"Email in use by: {holder['name']}")
    assert problem["conflicts"][0]["client_id"] == holder["id"]


def test_a_refused_create_leaves_nothing_behind(stack: Stack) -> None:
    """A transaction refused by one guard writes none of its items (client number included)."""
    before = len(stack.all_clients("fieldsvc-admin"))
    first = stack.post("/clients", "fieldsvc-sales-1", {"name": "Uno", "phone": "11 4999-0001"})
    assert first.status_code == 201, first.text
    again = {"name": "Dos", "phone": "011 4999-0001", "email": _unique_email()}
    assert (
        "Phone in use by: Uno"
        in _problem(stack.post("/clients", "fieldsvc-sales-1", again), 409)["detail"]
    )
    second = stack.post("/clients", "fieldsvc-sales-1", {"name": "Tres", "email": again["email"]})
    assert second.status_code == 201, second.text
    assert second.json()["number"] == first.json()["number"] + 1
    assert len(stack.all_clients("fieldsvc-admin")) == before + 2


def test_make_jobs_sends_a_due_reminder_and_make_mail_shows_it(stack: Stack) -> None:
    user = "school-sales-1"
    [client] = stack.get("/clients", user, params={"limit": 1}).json()["items"]
    marker = f"E2E reminder {uuid.uuid4().hex[:8]}"
    # Due in an hour and a few seconds, reminded an hour before: the reminder falls due a
    # few seconds after the task is saved (a slow machine must not save it too late).
    due = (datetime.now(UTC) + timedelta(hours=1, seconds=15)).isoformat()
    body = {"description": marker, "due_at": due, "reminders": ["PT1H"]}
    reply = stack.post(f"/clients/{client['id']}/tasks", user, body)
    assert reply.status_code == 201, reply.text
    [state] = reply.json()["reminders_state"]
    assert state["state"] == "scheduled", state
    fire_at = datetime.fromisoformat(state["fire_at"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (fire_at - datetime.now(UTC)).total_seconds()) + 0.5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    port = ["--moto-port", str(stack.moto_port)]
    jobs = subprocess.run(
        [sys.executable, "-m", "local.jobs", *port],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert jobs.returncode == 0, jobs.stdout + jobs.stderr
    mail = subprocess.run(
        [sys.executable, "-m", "local.mail", *port, "-n", "200"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert mail.returncode == 0, mail.stderr
    assert f"Subject: Recordatorio: {marker}" in mail.stdout, jobs.stdout + jobs.stderr
    assert mail.stdout.count(marker) == 2  # the subject and the text body: sent once
    tasks = stack.get(f"/clients/{client['id']}/tasks", user).json()["items"]
    [task] = [t for t in tasks if t["description"] == marker]
    assert task["reminders_state"][0]["state"] == "sent"
