"""The organisation's lists on in-memory fakes: defaults, upgrades of old settings, the
custom value check, and a settings edit that loses a race being applied again."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.catalogs import (
    CustomField,
    CustomFieldCreate,
    StageCreate,
    check_custom,
    default_sources,
    default_stages,
)
from chalicelib.domain.clients import DEFAULT_SOURCES, DEFAULT_STAGES
from chalicelib.domain.errors import InvalidInputError, StateConflictError
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tenants import TenantSettings
from chalicelib.services.catalogs import CatalogService
from tests.unit.fakes import FakeClientRepository, FakeTenantRepository

ADMIN = Principal(tenant_id="acme", user_id="u-admin", role=Role.ADMIN, name="Marta")


def test_the_defaults_cover_the_built_in_keys_in_both_languages() -> None:
    assert tuple(s.key for s in default_stages("es")) == DEFAULT_STAGES
    assert tuple(s.key for s in default_sources()) == DEFAULT_SOURCES
    assert [s.label for s in default_stages("en")][-2:] == ["Won", "Lost"]
    assert [s.label for s in default_stages("es")][-2:] == ["Ganado", "Perdido"]
    assert all(s.builtin and s.name_es and s.name_en for s in default_sources())


def test_missing_lists_follow_the_language_and_old_lists_of_keys_upgrade() -> None:
    english = TenantSettings(tenant_id="t", language="en")
    assert english.stages[0].label == "Contact"
    old = TenantSettings.model_validate(
        {"tenant_id": "t", "stages": ["lost", "custom-1"], "sources": ["direct", "tv"]}
    )
    assert [(s.key, s.order, s.lost) for s in old.stages] == [
        ("lost", 1, True),
        ("custom-1", 2, False),
    ]
    assert [(s.key, s.builtin) for s in old.sources] == [("direct", True), ("tv", False)]


def test_duplicate_keys_in_stored_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="stage keys must be unique"):
        TenantSettings.model_validate({"tenant_id": "t", "stages": ["won", "won"]})


DEFS = [
    CustomField(key="n", label="N", type="number"),
    CustomField(key="d", label="D", type="date"),
    CustomField(key="s", label="S", type="select", options=["Sí", "No"], required=True),
]


def test_custom_values_are_normalised() -> None:
    got = check_custom(DEFS, {"n": "2.50", "d": date(2026, 11, 24), "s": "sí"})
    assert got == {"n": 2.5, "d": "2026-11-24", "s": "Sí"}
    assert check_custom(DEFS, {"n": 3.0, "s": "NO", "d": ""}) == {"n": 3, "s": "No"}


def test_custom_problems_are_all_reported_under_their_key() -> None:
    with pytest.raises(InvalidInputError) as bad:
        check_custom(DEFS, {"n": "nan", "x": 1})
    fields = {p.field: p.message for p in bad.value.errors}
    assert set(fields) == {"custom.n", "custom.x", "custom.s"}
    assert "finite" in fields["custom.n"] and "'S' is required" in fields["custom.s"]


def test_an_update_checks_only_what_changes() -> None:
    before = {"n": "legacy text", "s": "Sí"}
    assert check_custom(DEFS, {"n": "legacy text", "s": "No"}, before) == {
        "n": "legacy text",
        "s": "No",
    }
    with pytest.raises(InvalidInputError, match=r"custom\.s"):
        check_custom(DEFS, {"n": 1}, before)
    assert check_custom(DEFS, {"n": 1}, {"n": 2}) == {"n": 1}  # `s` was never set


class RacingTenants(FakeTenantRepository):
    """Another admin's edit lands between our read and our save, once."""

    def __init__(self) -> None:
        super().__init__()
        self.competitor: CatalogService | None = None

    def save_settings(
        self, settings: TenantSettings, unused: tuple[str, ...] = ()
    ) -> TenantSettings:
        competitor, self.competitor = self.competitor, None
        if competitor is not None:
            competitor.create_custom_field(
                ADMIN, CustomFieldCreate(key="theirs", label="T", type="text")
            )
        return super().save_settings(settings, unused)


def test_an_edit_that_loses_a_race_is_applied_on_top_of_the_winner() -> None:
    repo = RacingTenants()
    service = CatalogService(repo)
    repo.competitor = CatalogService(repo)
    service.create_stage(ADMIN, StageCreate(key="paused", label="Paused"))
    settings = repo.get_settings("acme")
    assert "paused" in settings.stage_keys()
    assert [f.key for f in settings.custom_fields] == ["theirs"]
    assert settings.version == 2


def test_a_stage_with_clients_is_kept() -> None:
    from chalicelib.domain.clients import ClientCreate
    from chalicelib.services.clients import ClientService

    clients = FakeClientRepository()
    ClientService(clients).create(ADMIN, ClientCreate(name="Ana", stage="won"))
    with pytest.raises(StateConflictError, match="1 client is in stage 'won'"):
        CatalogService(clients.tenants).delete_stage(ADMIN, "won")
    CatalogService(clients.tenants).delete_stage(ADMIN, "lost")
    assert "lost" not in clients.tenants.get_settings("acme").stage_keys()
