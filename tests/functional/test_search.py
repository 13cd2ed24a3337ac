"""Finding clients: quick search, every filter alone and combined, sorts, pages, and the
index each is served by (requests and items read per page)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.dynamo import Item, bind
from chalicelib.api import deps
from tests.functional.conftest import new_client
from tests.functional.relations_helpers import FixedClock, add_tag, ok
from tests.helpers import Api

MADRID = ZoneInfo("Europe/Madrid")


def names(api: Api, query: str = "", limit: int = 200) -> list[str]:
    """Every page of `GET /clients?<query>`, followed to the end."""
    found: list[str] = []
    cursor = None
    for _ in range(100):
        path = f"/clients?limit={limit}&{query}" + (f"&cursor={cursor}" if cursor else "")
        page = ok(api.get(path))
        found += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the cursor never ran out")


class Reads:
    """Requests and items read (ScannedCount) of the table's Queries while active."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.scanned = 0

    def clear(self) -> None:
        self.requests.clear()
        self.scanned = 0

    def __call__(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.requests.append(model.name)
        self.scanned += int(parsed.get("ScannedCount", 0))


@pytest.fixture
def reads(api: Api) -> Iterator[Reads]:
    bind()
    events = Item._get_connection().connection.client.meta.events
    recorder = Reads()
    events.register("after-call.dynamodb", recorder)
    yield recorder
    events.unregister("after-call.dynamodb", recorder)


# --- quick search ----------------------------------------------------------------------------


@pytest.fixture
def people(api: Api) -> dict[str, dict[str, Any]]:
    return {
        "jose": new_client(api, name="José García", email="jose@garcia.example"),
        "josefa": new_client(api, name="Josefa Martín", legal_name="Hermanos Martín SL"),
        "nunez": new_client(api, name="Ana Núñez", phone="+34 600 11 22 33"),
        "other": new_client(api, name="Pedro Gómez", phone="611 22 33 44", email="p@x.example"),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("jose gar", ["José García"]),  # each word a prefix, accents and case ignored
        ("JOSÉ", ["Josefa Martín", "José García"]),
        ("herm", ["Josefa Martín"]),  # the legal name's words count
        ("nunez", ["Ana Núñez"]),
        ("gar jose", ["José García"]),  # in any order
        ("zzz", []),
    ],
)
def test_quick_search_finds_word_prefixes_of_name_and_legal_name(api, people, q, expected):
    assert sorted(names(api, f"q={q}")) == expected


@pytest.mark.parametrize("q", ["+34 600 11 22 33", "600112233", "0034600112233", "600-11-22-33"])
def test_quick_search_finds_a_phone_in_any_format(api, people, q):
    assert names(api, f"q={q.replace('+', '%2B')}") == ["Ana Núñez"]


def test_quick_search_finds_the_client_number_exactly_and_emails_by_prefix(api, people):
    assert names(api, f"q={people['nunez']['number']}") == ["Ana Núñez"]
    assert names(api, f"q=%23{people['other']['number']}") == ["Pedro Gómez"]
    assert names(api, "q=999") == []
    assert names(api, "q=jose@") == ["José García"]
    assert names(api, "q=JOSE@GARCIA.EXAMPLE") == ["José García"]


def test_a_client_with_two_matching_words_is_found_once(api):
    new_client(api, name="Ana Anabel Andrade")
    assert names(api, "q=an") == ["Ana Anabel Andrade"]


def test_search_follows_renames(api, people):
    cid = people["jose"]["id"]
    ok(api.patch(f"/clients/{cid}", {"name": "Joaquín Pérez"}))

    assert names(api, "q=garcia") == []
    assert names(api, "q=joaq per") == ["Joaquín Pérez"]
    assert ok(api.get(f"/clients/{cid}")) and api.delete(f"/clients/{cid}").status == 204
    assert names(api, "q=joaquin") == []


def test_quick_search_combines_with_filters(api, people):
    ok(api.patch(f"/clients/{people['josefa']['id']}", {"type": "prospect"}))
    assert names(api, "q=jose&type=prospect") == ["Josefa Martín"]
    assert names(api, "q=jose&type=vip") == []


def test_a_word_search_is_one_query_and_one_batch_read(api, people, reads):
    reads.clear()
    assert names(api, "q=jose gar") == ["José García"]
    assert reads.requests == ["Query", "BatchGetItem"]


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def book(team: dict[str, Api]) -> dict[str, Any]:
    admin = team["u-admin"]
    tag = add_tag(admin, "Premium")
    group = ok(admin.post("/groups", {"name": "North", "user_ids": ["u-sara"]}), 201)
    made = {
        "a": new_client(admin, name="A lead web", type="lead", source="web", owner_id="u-luis"),
        "b": new_client(admin, name="B prospect", type="prospect", stage="visiting"),
        "c": new_client(
            admin, name="C collaborator", kind="collaborator", owner_id="u-sara", source="web"
        ),
        "d": new_client(admin, name="D grouped", group_id=group["id"], stage="visiting"),
        "e": new_client(admin, name="E inactive lead", owner_id="u-luis"),
    }
    ok(admin.post(f"/clients/{made['e']['id']}/deactivate"))
    ok(admin.post(f"/clients/{made['b']['id']}/convert"))
    ok(admin.put(f"/clients/{made['a']['id']}/tags", {"tag_ids": [tag["id"]]}))
    ok(admin.put(f"/clients/{made['d']['id']}/tags", {"tag_ids": [tag["id"]]}))
    return {"clients": made, "tag": tag["id"], "group": group["id"]}


def test_each_filter_alone(team, book):
    admin = team["u-admin"]
    assert names(admin, "type=lead") == [
        "E inactive lead",
        "D grouped",
        "C collaborator",
        "A lead web",
    ]
    assert names(admin, "type=client") == ["B prospect"]
    assert names(admin, "stage=visiting") == ["D grouped", "B prospect"]
    assert names(admin, "status=inactive") == ["E inactive lead"]
    assert names(admin, "kind=collaborator") == ["C collaborator"]
    assert names(admin, "source=web") == ["C collaborator", "A lead web"]
    assert names(admin, "owner=u-luis") == ["E inactive lead", "A lead web"]
    assert names(team["u-luis"], "owner=me") == ["E inactive lead", "A lead web"]
    assert names(admin, f"tag={book['tag']}") == ["D grouped", "A lead web"]
    assert names(admin, f"group={book['group']}") == ["D grouped"]


def test_filters_combine_and_pages_stay_full_with_a_cursor(team, book):
    admin = team["u-admin"]
    assert names(admin, "type=lead&source=web") == ["C collaborator", "A lead web"]
    assert names(admin, "type=lead&source=web&owner=u-luis") == ["A lead web"]
    assert names(admin, f"tag={book['tag']}&stage=visiting") == ["D grouped"]
    assert names(admin, "type=lead&status=active", limit=1) == [
        "D grouped",
        "C collaborator",
        "A lead web",
    ]
    first = ok(admin.get("/clients?type=lead&status=active&limit=2"))
    assert [c["name"] for c in first["items"]] == ["D grouped", "C collaborator"]
    assert first["next_cursor"]


def test_sorts_by_name_and_by_conversion(team, book):
    admin = team["u-admin"]
    assert names(admin, "sort=name") == [
        "A lead web",
        "B prospect",
        "C collaborator",
        "D grouped",
        "E inactive lead",
    ]
    assert names(admin, "sort=name&type=lead&status=active") == [
        "A lead web",
        "C collaborator",
        "D grouped",
    ]
    assert names(admin, "sort=-converted_at") == ["B prospect"]


def test_created_days_are_the_organisations_days(team):
    admin = team["u-admin"]
    clock = FixedClock(datetime(2026, 3, 1, 0, 30, tzinfo=MADRID))  # 23:30 UTC on Feb 28th
    deps.client_service().clock = clock
    new_client(admin, name="March first")
    clock.now = datetime(2026, 2, 28, 23, 30, tzinfo=MADRID)
    new_client(admin, name="February last")

    assert names(admin, "created_from=2026-03-01") == ["March first"]
    assert names(admin, "created_to=2026-02-28") == ["February last"]
    assert names(admin, "created_from=2026-02-28&created_to=2026-03-01") == [
        "March first",
        "February last",
    ]
    assert names(admin, "created_from=2026-03-02") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=boss", "type"),
        ("status=gone", "status"),
        ("sort=age", "sort"),
        ("created_from=yesterday", "created_from"),
        ("created_from=2026-03-02&created_to=2026-03-01", "body"),
        ("stage=Not%20A%20Key", "stage"),
        ("colour=red", "colour"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, query, field):
    r = api.get(f"/clients?{query}")
    assert r.status == 400, r
    assert [e["field"] for e in r.body["errors"]] == [field]


def test_a_cursor_belongs_to_its_question(api):
    for n in range(3):
        new_client(api, name=f"Lead {n}")
    cursor = ok(api.get("/clients?type=lead&limit=1"))["next_cursor"]
    assert api.get(f"/clients?type=vip&limit=1&cursor={cursor}").status == 400


# --- cost: one index per pattern -------------------------------------------------------------


def test_a_single_filter_page_is_one_query_reading_what_it_returns(team, book, reads):
    admin = team["u-admin"]
    for query in ("type=lead", "stage=visiting", "source=web", "owner=u-luis", "status=active"):
        reads.clear()
        page = ok(admin.get(f"/clients?{query}&limit=2"))
        assert reads.requests == ["Query"], query
        assert reads.scanned == len(page["items"]) == 2, query


def test_a_sales_listing_reads_their_own_and_their_groups_indexes(team, book, reads):
    sara = team["u-sara"]
    reads.clear()
    assert names(sara, "") == ["D grouped", "C collaborator"]
    # Sara's own clients, the group's: one Query each and the group (read lazily) once.
    assert reads.requests.count("Query") == 3
    assert reads.scanned <= 2 + 1  # two clients and the group item


# --- who sees what ---------------------------------------------------------------------------


def test_sales_users_find_only_what_they_may_see(team, book):
    luis, sara = team["u-luis"], team["u-sara"]
    assert names(luis, "") == ["E inactive lead", "A lead web"]
    assert names(luis, "q=grouped") == []
    assert names(sara, "q=grouped") == ["D grouped"]
    assert names(sara, "owner=u-luis") == []
    assert names(sara, f"tag={book['tag']}") == ["D grouped"]
    assert names(sara, "sort=name") == ["C collaborator", "D grouped"]
    assert names(luis, "sort=name&type=lead") == ["A lead web", "E inactive lead"]
    d = book["clients"]["d"]["id"]
    assert sara.get(f"/clients/{d}").status == 200
    assert luis.get(f"/clients/{d}").status == 404


def test_a_sales_listing_pages_across_own_and_group_clients(team):
    admin, sara = team["u-admin"], team["u-sara"]
    group = ok(admin.post("/groups", {"name": "South", "user_ids": ["u-sara"]}), 201)
    for n in range(7):
        if n % 2:
            new_client(admin, name=f"Client {n}", owner_id="u-sara")
        else:
            new_client(admin, name=f"Client {n}", group_id=group["id"])
    new_client(admin, name="Sara's and grouped", owner_id="u-sara", group_id=group["id"])
    new_client(admin, name="Not hers")

    listed = names(sara, "", limit=2)

    assert listed == ["Sara's and grouped", *[f"Client {n}" for n in range(6, -1, -1)]]
