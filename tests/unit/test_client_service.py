"""ClientService on in-memory repositories: what a user of the API relies on."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.clients import Client, ClientCreate, ClientStatus, ClientUpdate
from chalicelib.domain.errors import (
    Conflict,
    DuplicateError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    VersionConflictError,
)
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.search import ClientQuery
from chalicelib.domain.stats import counter_names
from chalicelib.domain.tenants import User
from chalicelib.services.clients import ClientService
from tests.unit.fakes import FakeClientRepository, FakeTenantRepository

TENANT = "acme"
ADMIN = Principal(TENANT, "u-admin", Role.ADMIN, name="Marta Admin")
MANAGER = Principal(TENANT, "u-manager", Role.MANAGER, name="Carlos Manager")
LUIS = Principal(TENANT, "u-luis", Role.SALES, name="Luis Pérez")
SARA = Principal(TENANT, "u-sara", Role.SALES, name="Sara Gómez")


class Clock:
    """A fixed start; every reading is one second after the previous one."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def tenants() -> FakeTenantRepository:
    repo = FakeTenantRepository()
    for who in (ADMIN, MANAGER, LUIS, SARA):
        repo.put_user(TENANT, User(user_id=who.user_id, name=who.name, role=who.role))
    return repo


@pytest.fixture
def repo(tenants: FakeTenantRepository) -> FakeClientRepository:
    return FakeClientRepository(tenants)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(repo: FakeClientRepository, clock: Clock) -> ClientService:
    return ClientService(repo, clock)


def create(service: ClientService, who: Principal = ADMIN, **fields: Any) -> Client:
    return service.create(who, ClientCreate(**{"name": "Ana García", **fields}))


def configure(tenants: FakeTenantRepository, **changes: Any) -> None:
    current = tenants.get_settings(TENANT)
    tenants.save_settings(current.model_copy(update=changes))


def history(service: ClientService, client_id: str) -> list[str]:
    events, _ = service.timeline(ADMIN, client_id, 50, None)
    return [e.action for e in events]


# --- creating ------------------------------------------------------------------------------


def test_clients_are_numbered_one_two_three(service: ClientService) -> None:
    numbers = [create(service, name=f"Client {i}").number for i in range(3)]

    assert numbers == [1, 2, 3]


def test_a_national_phone_is_stored_in_e164_and_kept_as_typed(service: ClientService) -> None:
    client = create(service, phone="600 11 22 33")

    assert client.phone == "+34600112233"
    assert client.phone_display == "600 11 22 33"
    assert client.whatsapp_url == "https://wa.me/34600112233"


def test_national_phones_are_read_in_the_tenants_region(
    service: ClientService, tenants: FakeTenantRepository
) -> None:
    configure(tenants, default_phone_region="AR")

    client = create(service, phone="011 4123-4567")

    assert client.phone == "+541141234567"


def test_a_phone_that_is_not_a_number_is_refused_naming_phone(service: ClientService) -> None:
    with pytest.raises(InvalidInputError) as exc:
        create(service, phone="123")

    assert [e.field for e in exc.value.errors] == ["phone"]


def test_the_creator_is_responsible_by_default(service: ClientService) -> None:
    client = create(service, LUIS)

    assert (client.owner_id, client.owner_name, client.created_by) == (
        "u-luis",
        "Luis Pérez",
        "u-luis",
    )


def test_an_admin_can_create_a_client_for_a_salesperson(service: ClientService) -> None:
    client = create(service, ADMIN, owner_id="u-sara")

    assert (client.owner_id, client.owner_name, client.created_by) == (
        "u-sara",
        "Sara Gómez",
        "u-admin",
    )


def test_a_salesperson_cannot_create_a_client_for_someone_else(
    service: ClientService, repo: FakeClientRepository
) -> None:
    with pytest.raises(ForbiddenError):
        create(service, LUIS, owner_id="u-sara")

    assert repo.committed == []


def test_an_unknown_owner_is_refused_naming_owner_id(service: ClientService) -> None:
    with pytest.raises(InvalidInputError) as exc:
        create(service, owner_id="u-nobody")

    assert [e.field for e in exc.value.errors] == ["owner_id"]


@pytest.mark.parametrize("field", ["stage", "source"])
def test_a_stage_or_source_the_tenant_does_not_have_is_refused(
    service: ClientService, field: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        create(service, ADMIN, **{field: "unheard_of"})

    assert [e.field for e in exc.value.errors] == [field]


def test_an_email_in_use_in_another_case_is_a_duplicate_naming_its_holder(
    service: ClientService,
) -> None:
    ana = create(service, LUIS, email="ana.garcia@example.com")

    with pytest.raises(DuplicateError) as exc:
        create(service, MANAGER, name="Ana G.", email="ANA.GARCIA@Example.com")

    assert exc.value.detail == "Email in use by: Ana García (responsible: Luis Pérez)."
    assert exc.value.conflicts == [Conflict("email", ana.id, "Ana García", "Luis Pérez")]


def test_a_phone_in_use_in_another_format_is_a_duplicate(service: ClientService) -> None:
    ana = create(service, LUIS, phone="600 11 22 33")

    with pytest.raises(DuplicateError) as exc:
        create(service, ADMIN, name="Someone", phone="+34600112233")

    assert exc.value.conflicts == [Conflict("phone", ana.id, "Ana García", "Luis Pérez")]


def test_a_salesperson_only_learns_who_holds_a_client_they_cannot_see(
    service: ClientService, repo: FakeClientRepository
) -> None:
    create(service, LUIS, email="ana@example.com", phone="600112233")

    with pytest.raises(DuplicateError) as exc:
        create(service, SARA, name="Ana", email="ana@example.com", phone="600112233")

    assert sorted(exc.value.conflicts, key=lambda c: c.field) == [
        Conflict("email", None, None, "Luis Pérez"),
        Conflict("phone", None, None, "Luis Pérez"),
    ]
    assert "Ana García" not in exc.value.detail
    assert repo.committed == ["create_client"]


def test_a_tenant_that_allows_duplicates_can_repeat_email_and_phone(
    service: ClientService, tenants: FakeTenantRepository
) -> None:
    configure(tenants, allow_duplicates=True)
    create(service, email="ana@example.com", phone="600112233")

    again = create(service, email="ana@example.com", phone="600112233")

    assert again.number == 2


def test_a_retry_with_the_same_idempotency_key_returns_the_first_client(
    service: ClientService, repo: FakeClientRepository
) -> None:
    body = ClientCreate(name="Ana García", email="ana@example.com")
    first = service.create(ADMIN, body, idempotency_key="req-1")

    again = service.create(ADMIN, body, idempotency_key="req-1")

    assert again == first
    assert repo.committed == ["create_client"]


def test_two_identical_requests_at_once_create_one_client(
    service: ClientService, repo: FakeClientRepository
) -> None:
    body = ClientCreate(name="Ana García")
    earlier: list[Client] = []
    repo.concurrently(
        "create_client", lambda: earlier.append(service.create(ADMIN, body, idempotency_key="k"))
    )

    later = service.create(ADMIN, body, idempotency_key="k")

    assert later == earlier[0]
    assert repo.committed == ["create_client"]


def test_an_idempotency_key_reused_for_another_body_is_refused(service: ClientService) -> None:
    service.create(ADMIN, ClientCreate(name="Ana García"), idempotency_key="req-1")

    with pytest.raises(IdempotencyKeyReusedError):
        service.create(ADMIN, ClientCreate(name="Pedro Ruiz"), idempotency_key="req-1")


def test_idempotency_keys_belong_to_the_user_who_sent_them(service: ClientService) -> None:
    mine = service.create(LUIS, ClientCreate(name="Ana García"), idempotency_key="req-1")

    hers = service.create(SARA, ClientCreate(name="Ana García"), idempotency_key="req-1")

    assert hers.id != mine.id


def test_a_create_that_loses_the_number_to_another_takes_the_next_one(
    service: ClientService, repo: FakeClientRepository
) -> None:
    repo.concurrently("create_client", lambda: create(service, name="Quicker"))

    slower = create(service, name="Slower")

    assert slower.number == 2
    clients, _ = service.search(ADMIN, ClientQuery(), 10, None)
    assert sorted((c.number, c.name) for c in clients) == [(1, "Quicker"), (2, "Slower")]


# --- reading -------------------------------------------------------------------------------


def test_a_salesperson_lists_only_their_clients_newest_first_page_by_page(
    service: ClientService,
) -> None:
    for i in range(3):
        create(service, LUIS, name=f"Luis {i}")
    create(service, SARA, name="Sara's")

    first, cursor = service.search(LUIS, ClientQuery(), 2, None)
    second, end = service.search(LUIS, ClientQuery(), 2, cursor)

    assert [c.name for c in first + second] == ["Luis 2", "Luis 1", "Luis 0"]
    assert end is None
    everyone, _ = service.search(MANAGER, ClientQuery(), 50, None)
    assert len(everyone) == 4


def test_another_salespersons_client_does_not_exist_for_a_salesperson(
    service: ClientService,
) -> None:
    saras = create(service, SARA)

    with pytest.raises(NotFoundError):
        service.get(LUIS, saras.id)
    with pytest.raises(NotFoundError):
        service.update(LUIS, saras.id, ClientUpdate(stars=1))
    with pytest.raises(NotFoundError):
        service.timeline(LUIS, saras.id, 10, None)


# --- changing ------------------------------------------------------------------------------


def test_a_change_is_one_timeline_event_with_before_and_after(service: ClientService) -> None:
    client = create(service, LUIS)

    changed = service.update(LUIS, client.id, ClientUpdate(stage="negotiation", stars=2))

    assert (changed.stage, changed.stars, changed.version) == ("negotiation", 2, 2)
    assert service.get(LUIS, client.id) == changed
    events, _ = service.timeline(LUIS, client.id, 10, None)
    assert [e.action for e in events] == ["updated", "created"]
    assert events[0].actor_id == "u-luis"
    assert events[0].changes == {
        "stage": {"before": "contact", "after": "negotiation"},
        "stars": {"before": 0, "after": 2},
    }


def test_a_patch_that_changes_nothing_writes_nothing(
    service: ClientService, repo: FakeClientRepository
) -> None:
    client = create(service, phone="600112233")

    same = service.update(
        ADMIN, client.id, ClientUpdate(name="Ana García", stage="contact", phone="600112233")
    )

    assert same.version == 1
    assert repo.committed == ["create_client"]
    assert history(service, client.id) == ["created"]


def test_a_stale_if_match_is_a_failed_precondition(service: ClientService) -> None:
    client = create(service)
    service.update(ADMIN, client.id, ClientUpdate(stars=1))

    with pytest.raises(PreconditionFailedError):
        service.update(ADMIN, client.id, ClientUpdate(stars=3), if_match=1)

    assert service.get(ADMIN, client.id).stars == 1


def test_a_stale_version_in_the_body_is_a_version_conflict(service: ClientService) -> None:
    client = create(service)
    service.update(ADMIN, client.id, ClientUpdate(stars=1))

    with pytest.raises(VersionConflictError) as exc:
        service.update(ADMIN, client.id, ClientUpdate(stars=3, version=1))

    assert exc.value.current_version == 2
    assert service.get(ADMIN, client.id).stars == 1


def test_a_concurrent_change_is_kept_and_the_patch_applied_on_top(
    service: ClientService, repo: FakeClientRepository
) -> None:
    client = create(service)
    repo.concurrently(
        "update_client", lambda: service.update(MANAGER, client.id, ClientUpdate(stars=3))
    )

    result = service.update(ADMIN, client.id, ClientUpdate(stage="won"))

    assert (result.stars, result.stage, result.version) == (3, "won", 3)
    assert service.get(ADMIN, client.id) == result
    assert history(service, client.id) == ["updated", "updated", "created"]


def test_a_concurrent_change_fails_an_if_match_on_the_version_before_it(
    service: ClientService, repo: FakeClientRepository
) -> None:
    client = create(service)
    repo.concurrently(
        "update_client", lambda: service.update(MANAGER, client.id, ClientUpdate(stars=3))
    )

    with pytest.raises(PreconditionFailedError):
        service.update(ADMIN, client.id, ClientUpdate(stage="won"), if_match=1)

    assert service.get(ADMIN, client.id).stage == "contact"


def test_changing_an_email_frees_the_old_one(service: ClientService) -> None:
    ana = create(service, email="ana@example.com")

    service.update(ADMIN, ana.id, ClientUpdate(email="ana.garcia@example.com"))

    assert create(service, name="Ana Ruiz", email="ana@example.com").number == 2
    with pytest.raises(DuplicateError):
        create(service, name="Someone", email="Ana.Garcia@example.com")


def test_changing_to_an_email_in_use_is_a_duplicate(service: ClientService) -> None:
    ana = create(service, email="ana@example.com")
    pedro = create(service, name="Pedro Ruiz", email="pedro@example.com")

    with pytest.raises(DuplicateError) as exc:
        service.update(ADMIN, pedro.id, ClientUpdate(email="ana@example.com"))

    assert exc.value.conflicts == [Conflict("email", ana.id, "Ana García", "Marta Admin")]
    assert service.get(ADMIN, pedro.id).email == "pedro@example.com"


def test_clearing_a_phone_frees_it(service: ClientService) -> None:
    ana = create(service, phone="600112233")

    cleared = service.update(ADMIN, ana.id, ClientUpdate(phone=None))

    assert (cleared.phone, cleared.phone_display) == (None, None)
    assert create(service, name="Pedro Ruiz", phone="+34 600 11 22 33").phone == "+34600112233"


def test_deactivating_and_reactivating_are_named_on_the_timeline(service: ClientService) -> None:
    client = create(service)

    off = service.set_status(ADMIN, client.id, ClientStatus.INACTIVE)
    on = service.set_status(ADMIN, client.id, ClientStatus.ACTIVE)

    assert (off.status, on.status) == (ClientStatus.INACTIVE, ClientStatus.ACTIVE)
    events, _ = service.timeline(ADMIN, client.id, 10, None)
    assert [e.action for e in events] == ["reactivated", "deactivated", "created"]
    assert events[1].changes == {"status": {"before": "active", "after": "inactive"}}


def test_a_salesperson_cannot_hand_a_client_over(service: ClientService) -> None:
    client = create(service, LUIS)

    with pytest.raises(ForbiddenError):
        service.update(LUIS, client.id, ClientUpdate(owner_id="u-sara"))


# --- deleting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "error"),
    [(MANAGER, ForbiddenError), (LUIS, ForbiddenError), (SARA, NotFoundError)],
    ids=["manager", "sales-owner", "sales-not-owner"],
)
def test_only_an_admin_deletes_a_client(
    service: ClientService, who: Principal, error: type[Exception]
) -> None:
    client = create(service, LUIS)

    with pytest.raises(error):
        service.delete(who, client.id)

    assert service.get(ADMIN, client.id) == client


def test_deleting_a_client_removes_its_history_and_frees_email_and_phone(
    service: ClientService, repo: FakeClientRepository
) -> None:
    ana = create(service, email="ana@example.com", phone="600112233")
    service.update(ADMIN, ana.id, ClientUpdate(stars=2))

    service.delete(ADMIN, ana.id)

    with pytest.raises(NotFoundError):
        service.get(ADMIN, ana.id)
    assert repo.list_events(TENANT, ana.id, 10, None) == ([], None)
    again = create(service, name="Ana García", email="ana@example.com", phone="600112233")
    assert again.number == 2


def test_a_delete_after_a_concurrent_change_is_a_version_conflict(
    service: ClientService, repo: FakeClientRepository
) -> None:
    client = create(service)
    repo.concurrently(
        "delete_client", lambda: service.update(MANAGER, client.id, ClientUpdate(stars=3))
    )

    with pytest.raises(VersionConflictError):
        service.delete(ADMIN, client.id)

    assert service.get(ADMIN, client.id).stars == 3


# --- statistics ----------------------------------------------------------------------------


def test_counters_equal_a_recount_of_the_remaining_clients(
    service: ClientService,
    repo: FakeClientRepository,
    tenants: FakeTenantRepository,
    clock: Clock,
) -> None:
    clock.now = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # February in Madrid
    a = create(service, name="A", type="vip", source="web")
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    b = create(service, LUIS, name="B")
    c = create(service, name="C", stage="won", kind="collaborator")
    service.update(ADMIN, a.id, ClientUpdate(stage="negotiation", source=None))
    service.set_status(ADMIN, b.id, ClientStatus.INACTIVE)
    service.update(ADMIN, c.id, ClientUpdate(type="client", stage="lost"))
    service.delete(ADMIN, b.id)
    create(service, SARA, name="D", source="referral")

    remaining, _ = service.search(ADMIN, ClientQuery(), 50, None)
    timezone = tenants.get_settings(TENANT).timezone
    recount = Counter(name for client in remaining for name in counter_names(client, timezone))
    # DynamoDB's ADD keeps a counter that went back to 0; a recount has no such entry.
    stored = {name: n for name, n in repo.counters(TENANT).items() if n}
    assert stored == dict(recount)
    assert stored["n_total"] == 3
    assert stored["n_created_2026-02"] == 1


# --- bugs found and fixed ---------------------------------------------------------------


def test_a_client_created_while_duplicates_were_allowed_can_be_deleted(
    service: ClientService, tenants: FakeTenantRepository
) -> None:
    configure(tenants, allow_duplicates=True)
    first = create(service, email="ana@example.com")
    configure(tenants, allow_duplicates=False)
    create(service, name="Ana Ruiz", email="ana@example.com")  # holds the email now

    service.delete(ADMIN, first.id)

    with pytest.raises(NotFoundError):
        service.get(ADMIN, first.id)


def test_a_client_created_while_duplicates_were_allowed_can_change_its_email(
    service: ClientService, tenants: FakeTenantRepository
) -> None:
    configure(tenants, allow_duplicates=True)
    first = create(service, email="ana@example.com")
    configure(tenants, allow_duplicates=False)
    create(service, name="Ana Ruiz", email="ana@example.com")

    changed = service.update(ADMIN, first.id, ClientUpdate(email="ana.garcia@example.com"))

    assert changed.email == "ana.garcia@example.com"


def test_a_duplicate_whose_holder_just_went_away_is_not_reported_as_held_by_none(
    service: ClientService, repo: FakeClientRepository
) -> None:
    ana = create(service, email="ana@example.com")
    repo.concurrently("guard_holders", lambda: service.delete(ADMIN, ana.id))

    # Either outcome is right: the create goes through, or the message names no "None".
    try:
        create(service, name="Ana Ruiz", email="ana@example.com")
    except DuplicateError as exc:
        assert "None" not in exc.detail
