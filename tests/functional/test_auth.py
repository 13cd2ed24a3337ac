"""Sign-in: every bad token is a 401; tenants never see each other; roles limit what one does."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from local.tokens import generate_key, mint
from tests.conftest import SIGNING_KEY, TEST_ENV
from tests.functional.conftest import new_client


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "u-admin",
        "iss": TEST_ENV["AUTH_ISSUER"],
        "aud": TEST_ENV["AUTH_AUDIENCE"],
        "iat": now,
        "exp": now + 600,
        "token_use": "id",
        "custom:tenant_id": "acme",
        "cognito:groups": ["admin"],
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _sign(claims: dict[str, object], kid: str | None = None) -> str:
    return jwt.encode(
        claims,
        SIGNING_KEY.private_pem,
        algorithm="RS256",
        headers={"kid": kid or SIGNING_KEY.kid},
    )


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _alg_none() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': SIGNING_KEY.kid})}.{_b64(_claims())}."


def _tampered() -> str:
    header, _, signature = _sign(_claims()).split(".")
    return f"{header}.{_b64(_claims(**{'cognito:groups': ['admin'], 'sub': 'u-evil'}))}.{signature}"


def _other_key() -> str:
    other = generate_key()
    return mint(
        other,
        issuer=TEST_ENV["AUTH_ISSUER"],
        audience=TEST_ENV["AUTH_AUDIENCE"],
        tenant="acme",
        user="u-admin",
        role="admin",
    )


BAD_TOKENS = {
    "expired": lambda: _sign(_claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)),
    "wrong issuer": lambda: _sign(_claims(iss="https://evil.example/issuer")),
    "wrong audience": lambda: _sign(_claims(aud="another-app")),
    "access token for another client": lambda: _sign(
        _claims(aud=None, token_use="access", client_id="another-app")
    ),
    "no token_use": lambda: _sign(_claims(token_use=None)),
    "unknown kid": lambda: _sign(_claims(), kid="not-our-key"),
    "signed by another key": _other_key,
    "alg none": _alg_none,
    "tampered payload": _tampered,
    "no tenant": lambda: _sign(_claims(**{"custom:tenant_id": None})),
    "tenant with separator": lambda: _sign(_claims(**{"custom:tenant_id": "acme#C#x"})),
    "no role": lambda: _sign(_claims(**{"cognito:groups": ["readers"]})),
    "not a jwt": lambda: "abc.def",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_are_401_problems(api, case):
    r = api.get("/clients", auth=False, headers={"Authorization": f"Bearer {BAD_TOKENS[case]()}"})
    assert r.status == 401, r
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.body["status"] == 401 and r.body["detail"]


def test_missing_token_or_scheme_is_401(api):
    assert api.get("/clients", auth=False).status == 401
    r = api.get("/clients", auth=False, headers={"Authorization": api.token})
    assert r.status == 401 and "Bearer" in r.body["detail"]


def test_access_token_with_our_client_id_is_accepted(api):
    token = _sign(_claims(aud=None, token_use="access", client_id=TEST_ENV["AUTH_AUDIENCE"]))
    r = api.get("/clients", auth=False, headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200, r


def test_another_tenants_client_is_404_for_every_route(api):
    c = new_client(api, email="ana@example.com")
    intruder = api.as_("u-admin", "admin", tenant="globex")
    path = f"/clients/{c['id']}"
    assert intruder.get(path).status == 404
    assert intruder.patch(path, {"name": "hacked"}).status == 404
    assert intruder.post(f"{path}/deactivate").status == 404
    assert intruder.get(f"{path}/timeline").status == 404
    assert intruder.delete(path).status == 404
    assert intruder.get("/clients").body["items"] == []
    # the same email is free in another tenant
    assert intruder.post("/clients", {"name": "Ana", "email": "ana@example.com"}).status == 201
    assert api.get(path).body["name"] == "Ana García"


def test_sales_see_only_their_own_clients(api, team):
    luis, sara = team["u-luis"], team["u-sara"]
    mine = new_client(luis, name="Luis's client")
    new_client(sara, name="Sara's client")
    new_client(api, name="Admin's client", owner_id="u-luis")
    listed = luis.get("/clients").body["items"]
    assert {c["name"] for c in listed} == {"Luis's client", "Admin's client"}
    assert sara.get(f"/clients/{mine['id']}").status == 404
    assert sara.patch(f"/clients/{mine['id']}", {"name": "x"}).status == 404
    assert len(team["u-manager"].get("/clients").body["items"]) == 3


def test_sales_cannot_give_clients_away_or_create_for_others(team):
    luis = team["u-luis"]
    r = luis.post("/clients", {"name": "X", "owner_id": "u-sara"})
    assert r.status == 403
    c = new_client(luis)
    assert luis.patch(f"/clients/{c['id']}", {"owner_id": "u-sara"}).status == 403
    handed = team["u-manager"].patch(f"/clients/{c['id']}", {"owner_id": "u-sara"})
    assert handed.status == 200 and handed.body["owner_name"] == "Sara Gómez"
    assert luis.get(f"/clients/{c['id']}").status == 404


def test_settings_and_users_are_admin_only(team):
    for user in ("u-manager", "u-luis"):
        assert team[user].get("/settings").status == 403
        assert team[user].patch("/settings", {"name": "x"}).status == 403
        assert team[user].put("/users/u-x", {"name": "X", "role": "sales"}).status == 403
    assert team["u-luis"].get("/users").status == 200


def test_me_records_the_caller_from_the_token(api):
    newcomer = api.as_("u-new", "sales", name="Nora Nueva")
    r = newcomer.get("/me")
    assert r.status == 200 and r.body["name"] == "Nora Nueva" and r.body["role"] == "sales"
    assert "u-new" in {u["user_id"] for u in api.get("/users").body["items"]}


def test_me_changes_ones_own_settings_but_not_the_role(api):
    luis = api.as_("u-luis", "sales", name="Luis Pérez")
    r = luis.patch(
        "/me", {"timezone": "America/New_York", "language": "en", "email": "luis@example.com"}
    )
    assert r.status == 200, r
    assert r.body["timezone"] == "America/New_York" and r.body["role"] == "sales"
    assert luis.get("/me").body["email"] == "luis@example.com"
    for bad, field in [
        ({"role": "admin"}, "role"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"name": None}, "name"),
        ({"email": "nope"}, "email"),
    ]:
        refused = luis.patch("/me", bad)
        assert refused.status == 400 and refused.body["errors"][0]["field"] == field, bad
    assert luis.patch("/me", {"timezone": None}).body["timezone"] is None
