"""The demo tenants of the local stack seed with custom fields and a custom source, and the
clients the demo invents fit those definitions."""

from __future__ import annotations

import random

import pytest

from chalicelib.domain.catalogs import CustomField, check_custom


@pytest.mark.parametrize("name", ["SCHOOL", "FIELDSVC"])
def test_the_demo_tenants_have_custom_fields_a_custom_source_and_clients_that_fit(api, name):
    from local import seed

    tenant = getattr(seed, name)
    seed.Seeder().tenant(tenant)
    reader = api.as_(f"{tenant.tenant_id}-sales-1", "sales", tenant=tenant.tenant_id)
    fields = reader.get("/settings/custom-fields").body["items"]
    sources = {s["key"]: s for s in reader.get("/settings/sources").body["items"]}
    assert len(fields) >= 3 and tenant.source is not None
    assert sources[tenant.source.key]["builtin"] is False
    assert sources[tenant.source.key]["icon_url"].startswith("https://")

    definitions = [CustomField.model_validate(f) for f in fields]
    factory = seed.ClientFactory(tenant, random.Random(7))
    bodies = [factory.create() for _ in range(300)]
    assert {b.source for b in bodies} - {None} <= set(sources)
    assert tenant.source.key in {b.source for b in bodies}
    for body in bodies:
        assert check_custom(definitions, body.custom) == (body.custom or {})
    r = api.as_(f"{tenant.tenant_id}-admin", "admin", tenant=tenant.tenant_id).post(
        "/clients", bodies[0].model_dump(mode="json", exclude_none=True)
    )
    assert r.status == 201, r
