"""The fake keeps the DynamoDB repository's promises: the same checks run on both.

The DynamoDB repository runs on the embedded AWS (moto) that `tests/conftest.py` starts
for every test; the fake in memory. If the two disagree, the service tests on the fake
prove nothing about production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.clients import Client
from chalicelib.domain.search import ClientQuery, Listing
from chalicelib.domain.stats import CounterDeltas
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.services.ports import (
    ClientRepository,
    Guard,
    GuardTakenError,
    IdempotencyKeyTakenError,
    IdempotencyRecord,
    StaleWriteError,
)
from tests.unit.fakes import FakeClientRepository

T = "acme"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EMAIL = Guard("email", "ana@example.com")
PHONE = Guard("phone", "+34600112233")


@pytest.fixture(params=["fake", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> ClientRepository:
    if request.param == "fake":
        return FakeClientRepository()
    from chalicelib.adapters.clients_repo import DynamoClientRepository

    return DynamoClientRepository()


def make(number: int, owner: str = "u-1", email: str | None = None) -> Client:
    at = START + timedelta(minutes=number)
    return Client(
        id=f"c{number}-{owner}",
        number=number,
        name=f"Client {number}",
        email=email,
        type="lead",
        kind="customer",
        stage="contact",
        status="active",
        owner_id=owner,
        created_at=at,
        updated_at=at,
        created_by=owner,
        version=1,
    )


def event(client: Client, action: str, minutes: int = 0) -> TimelineEvent:
    at = client.updated_at + timedelta(minutes=minutes)
    return TimelineEvent(
        id=f"{action}-{minutes}", client_id=client.id, at=at, actor_id="u-1", action=action
    )


def add(
    repo: ClientRepository,
    client: Client,
    guards: list[Guard] | None = None,
    idem: IdempotencyRecord | None = None,
) -> Client:
    repo.create_client(
        T, client, event(client, "created"), guards or [], CounterDeltas({"n_total": 1}), idem
    )
    return client


def rename(
    repo: ClientRepository,
    before: Client,
    name: str,
    add: list[Guard] | None = None,
    drop: list[Guard] | None = None,
) -> Client:
    after = before.model_copy(update={"name": name})
    repo.update_client(
        T, before, after, event(before, "updated", 1), add or [], drop or [], CounterDeltas()
    )
    return after


def test_a_create_must_take_the_next_number(repo: ClientRepository) -> None:
    add(repo, make(1))

    with pytest.raises(StaleWriteError):
        add(repo, make(1, owner="u-2"))
    with pytest.raises(StaleWriteError):
        add(repo, make(3))
    add(repo, make(2))

    assert repo.load_context(T, []).client_seq == 2


def test_a_taken_guard_refuses_the_whole_create_naming_only_that_guard(
    repo: ClientRepository,
) -> None:
    ana = add(repo, make(1), [EMAIL])

    with pytest.raises(GuardTakenError) as exc:
        add(repo, make(2), [EMAIL, PHONE])

    assert exc.value.guards == [EMAIL]
    assert repo.get_client(T, make(2).id) is None
    assert repo.guard_holders(T, [EMAIL, PHONE]) == [(EMAIL, ana), (PHONE, None)]
    assert repo.load_context(T, []).client_seq == 1


def test_a_taken_idempotency_key_is_reported_first(repo: ClientRepository) -> None:
    record = IdempotencyRecord("u-1", "key-1", "hash", make(1).id)
    add(repo, make(1), [EMAIL], record)

    with pytest.raises(IdempotencyKeyTakenError):
        add(repo, make(2), [EMAIL], IdempotencyRecord("u-1", "key-1", "hash", make(2).id))

    assert repo.get_idempotency(T, "u-1", "key-1") == record
    assert repo.get_idempotency(T, "u-2", "key-1") is None


def test_an_update_needs_the_stored_version_and_stores_the_next(repo: ClientRepository) -> None:
    first = add(repo, make(1))

    rename(repo, first, "Renamed")
    with pytest.raises(StaleWriteError):
        rename(repo, first, "Lost update")

    stored = repo.get_client(T, first.id)
    assert stored is not None
    assert (stored.name, stored.version) == ("Renamed", 2)
    events, _ = repo.list_events(T, first.id, 10, None)
    assert [e.action for e in events] == ["updated", "created"]


def test_a_guard_is_only_dropped_by_the_client_holding_it(repo: ClientRepository) -> None:
    holder = add(repo, make(1, email="ana@example.com"), [EMAIL])
    other = add(repo, make(2, email="ana@example.com"))  # written without the guard

    with pytest.raises(StaleWriteError):
        rename(repo, other, "Renamed", drop=[EMAIL])

    assert repo.guard_holders(T, [EMAIL]) == [(EMAIL, holder)]
    assert repo.get_client(T, other.id) == other


def test_changing_guards_moves_them(repo: ClientRepository) -> None:
    ana = add(repo, make(1), [EMAIL])

    rename(repo, ana, "Ana", add=[PHONE], drop=[EMAIL])

    [(_, email_holder), (_, phone_holder)] = repo.guard_holders(T, [EMAIL, PHONE])
    assert email_holder is None
    assert phone_holder is not None and phone_holder.id == ana.id


def test_deleting_a_client_removes_its_events_and_frees_its_guards(
    repo: ClientRepository,
) -> None:
    ana = add(repo, make(1), [EMAIL, PHONE])

    repo.delete_client(T, ana, [EMAIL, PHONE], CounterDeltas({"n_total": -1}))

    assert repo.get_client(T, ana.id) is None
    assert repo.list_events(T, ana.id, 10, None)[0] == []
    assert repo.guard_holders(T, [EMAIL]) == [(EMAIL, None)]
    add(repo, make(2), [EMAIL, PHONE])


def test_a_delete_of_a_stale_version_is_refused(repo: ClientRepository) -> None:
    ana = add(repo, make(1))
    rename(repo, ana, "Renamed")

    with pytest.raises(StaleWriteError):
        repo.delete_client(T, ana, [], CounterDeltas({"n_total": -1}))

    assert repo.get_client(T, ana.id) is not None


@pytest.mark.parametrize(("owner", "expected"), [(None, [5, 4, 3, 2, 1]), ("u-2", [4, 2])])
def test_clients_are_listed_newest_first_page_by_page(
    repo: ClientRepository, owner: str | None, expected: list[int]
) -> None:
    for n in range(1, 6):
        add(repo, make(n, owner="u-2" if n % 2 == 0 else "u-1"))

    seen: list[int] = []
    start = None
    for _ in range(10):
        query = ClientQuery(owner=owner)
        page, start = repo.search_clients(Listing(T, query), 2, start)
        seen += [c.number for c in page]
        if start is None:
            break

    assert seen == expected
