"""Pure rules: contact normalisation, change tracking, counters, page cursors, tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.adapters.tokens import principal_from_claims, verify_token
from chalicelib.config import Settings
from chalicelib.domain.clients import Client, ClientCreate, field_changes
from chalicelib.domain.contact import email_key, normalize_email, normalize_phone
from chalicelib.domain.errors import InvalidInputError, UnauthorizedError
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.stats import CounterDeltas, counter_deltas
from local.tokens import SigningKey, generate_key, mint

# --- phones and emails ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["+34 600 11 22 33", "600112233", "0034600112233"])
def test_a_spanish_mobile_in_any_usual_form_becomes_e164(typed: str) -> None:
    assert normalize_phone(typed, "ES") == "+34600112233"


def test_a_national_number_is_read_in_the_given_region() -> None:
    assert normalize_phone("011 4123-4567", "AR") == "+541141234567"


@pytest.mark.parametrize("typed", ["600 11", "call me", "+34 100 00 00 00"])
def test_something_that_is_not_a_valid_phone_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        normalize_phone(typed, "ES")

    assert [e.field for e in exc.value.errors] == ["phone"]


def test_phone_validity_is_exactly_the_librarys_in_every_region() -> None:
    """normalize_phone's quicker validity check (types tried in another order) against
    phonenumbers.is_valid_number: every region's example number of every type, and
    variants of each with a digit changed, dropped or added (about half are invalid)."""
    import random

    import phonenumbers
    from phonenumbers import PhoneNumber, PhoneNumberType

    from chalicelib.domain.contact import is_valid_number

    rng = random.Random(3)
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in vars(PhoneNumberType).values():
            example = phonenumbers.example_number_for_type(region, kind)
            if not isinstance(kind, int) or example is None:
                continue
            numbers.append(example)
            for _ in range(8):
                digits = list(str(example.national_number))
                at = rng.randrange(len(digits))
                change = rng.choice(["replace", "drop", "add"])
                if change == "replace":
                    digits[at] = str(rng.randrange(10))
                elif change == "drop" and len(digits) > 3:
                    digits.pop(at)
                else:
                    digits.insert(at, str(rng.randrange(10)))
                numbers.append(PhoneNumber(example.country_code, int("".join(digits))))
    valid = [phonenumbers.is_valid_number(n) for n in numbers]
    assert 0.3 < sum(valid) / len(numbers) < 0.8  # the corpus has both kinds
    assert [is_valid_number(n) for n in numbers] == valid


def test_an_email_keeps_its_local_part_and_lower_cases_its_domain() -> None:
    assert normalize_email("Ana.Garcia@Example.COM") == "Ana.Garcia@example.com"


def test_emails_differing_only_in_case_are_the_same_for_duplicates() -> None:
    assert email_key(" Ana.Garcia@example.com ") == email_key("ana.garcia@EXAMPLE.com")


def _email_verdict(check: Callable[[str], str], raw: str) -> str:
    try:
        return check(raw)
    except ValueError as exc:
        return f"error: {exc}"


_TRICKY_EMAILS = [
    "Ana.Garcia@Example.COM", "a..b@x.com", ".a@x.com", "a.@x.com", "a@x", "a@localhost",
    "a@x.test", "a@x.local", "a@x.123", "a@-x.com", "a@x-.com", "a@x..com", "a@x.com.",
    "a@xn--bcher-kva.com", "a@bücher.com", "ñ@x.com", "a b@x.com", " a@x.com", "a@x.com ",
    "a@ex_ample.com", "a@" + "x" * 64 + ".com", "a@1.2.3.4", "x" * 64 + "@x.com",
    "x" * 65 + "@x.com", "a@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 70,
    '"quoted"@x.com', "a@[127.0.0.1]", "A+tag@sub.Domain.co.uk", "a@b@x.com", "@x.com",
    "a@x.c", "o'brien@x.ie", "a@X.INVALID", "Name <a@x.com>", "a@x.com\n", "\uff41@x.com",
]  # fmt: skip


def test_the_quick_email_check_answers_exactly_as_email_validator() -> None:
    """normalize_email takes a short cut for plain addresses (domain verdict cached): on
    tricky and on random addresses it must give email_validator's answer, errors included."""
    import random

    from chalicelib.domain.contact import _validated

    rng = random.Random(7)
    local_chars = "aZ09.+-_'!#$%&*/=?^`{|}~ \"()[],:;<>@ñ"
    domains = [
        "example.com", "EXAMPLE.com", "x.co.uk", "a-b.es", "-a.es", "a..es", "es", "mail.test",
        "xn--bcher-kva.com", "bücher.com", "x.123", "a_b.com", "x.c",
    ]  # fmt: skip
    randoms = [
        "".join(rng.choice(local_chars) for _ in range(rng.randint(0, 12)))
        + rng.choice(["@", "@", "@", ""])
        + rng.choice(domains)
        for _ in range(4000)
    ]
    for raw in _TRICKY_EMAILS + randoms:
        assert _email_verdict(normalize_email, raw) == _email_verdict(_validated, raw), raw


@pytest.mark.parametrize("typed", ["ana", "ana@", "ana @example.com"])
def test_a_client_with_an_invalid_email_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ClientCreate(name="Ana", email=typed)

    assert [err["loc"] for err in exc.value.errors()] == [("email",)]


# --- what changed --------------------------------------------------------------------------


def test_field_changes_lists_each_changed_field_with_before_and_after() -> None:
    before = {"name": "Ana", "stage": "contact", "stars": 0, "notes": None}
    after = {"name": "Ana", "stage": "won", "stars": 2, "notes": None}

    assert field_changes(before, after) == {
        "stage": {"before": "contact", "after": "won"},
        "stars": {"before": 0, "after": 2},
    }


def test_field_changes_treats_empty_values_alike() -> None:
    assert field_changes({"notes": None, "custom": {}}, {"notes": "", "custom": None}) == {}


def test_field_changes_reports_a_field_that_appears_or_goes() -> None:
    assert field_changes({"email": "a@example.com"}, {"phone": "+34600112233"}) == {
        "email": {"before": "a@example.com", "after": None},
        "phone": {"before": None, "after": "+34600112233"},
    }


# --- statistics counters -------------------------------------------------------------------


def client(**fields: Any) -> Client:
    at = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # already February in Madrid
    defaults: dict[str, Any] = {
        "id": "c1",
        "number": 1,
        "name": "Ana",
        "type": "lead",
        "kind": "customer",
        "stage": "contact",
        "status": "active",
        "owner_id": "u-1",
        "created_at": at,
        "updated_at": at,
        "created_by": "u-1",
        "version": 1,
    }
    return Client(**(defaults | fields))


def test_a_new_client_adds_one_to_each_of_its_counters_in_the_tenants_month() -> None:
    assert counter_deltas(None, client(), "Europe/Madrid").tenant == {
        "n_total": 1,
        "n_type_lead": 1,
        "n_stage_contact": 1,
        "n_status_active": 1,
        "n_kind_customer": 1,
        "n_source_none": 1,
        "n_created_2026-02": 1,
    }


def test_a_change_of_stage_moves_one_client_between_two_counters() -> None:
    before = client()
    after = client(stage="won", version=2)

    moved = {"n_stage_contact": -1, "n_stage_won": 1}
    assert counter_deltas(before, after, "Europe/Madrid") == CounterDeltas(
        tenant=moved, slices={("u-1", None): moved}
    )


def test_a_change_that_no_counter_sees_moves_nothing() -> None:
    assert not counter_deltas(client(), client(name="Ana María", stars=3), "UTC")


def test_a_conversion_counts_as_won_in_the_month_of_the_organisation() -> None:
    converted = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # April in Madrid
    after = client(type="client", converted_at=converted)

    assert counter_deltas(client(), after, "Europe/Madrid").tenant == {
        "n_type_lead": -1,
        "n_type_client": 1,
        "n_won_2026-04": 1,
    }


def test_a_hand_over_moves_the_client_from_one_slice_to_another() -> None:
    after = client(owner_id="u-2", group_id="g1")

    deltas = counter_deltas(client(), after, "UTC")

    assert deltas.tenant == {}
    assert deltas.slices[("u-1", None)]["n_total"] == -1
    assert deltas.slices[("u-2", "g1")]["n_total"] == 1


def test_a_deleted_client_takes_one_from_each_of_its_counters() -> None:
    deltas = counter_deltas(client(source="web"), None, "UTC").tenant

    assert deltas["n_source_web"] == -1
    assert deltas["n_created_2026-01"] == -1
    assert set(deltas.values()) == {-1}


# --- page cursors --------------------------------------------------------------------------

SECRET = "cursor-secret"
SCOPE = "clients:acme:*"
LAST_KEY = {"PK": {"S": "T#acme#C#c1"}, "SK": {"S": "#CLIENT"}, "GSI1SK": {"S": "2026-03-02"}}


def test_a_cursor_gives_back_the_key_it_was_made_from() -> None:
    cursor = encode_cursor(LAST_KEY, SCOPE, SECRET)

    assert decode_cursor(cursor, SCOPE, SECRET) == LAST_KEY


def test_no_last_key_is_no_cursor_and_no_cursor_is_the_first_page() -> None:
    assert encode_cursor(None, SCOPE, SECRET) is None
    assert decode_cursor(None, SCOPE, SECRET) is None


def _signature() -> str:
    return (encode_cursor(LAST_KEY, SCOPE, SECRET) or "").split(".")[1]


def _forged_body() -> str:
    body = json.dumps({"s": SCOPE, "k": {"PK": {"S": "T#other#C#c9"}}}).encode()
    return base64.urlsafe_b64encode(body).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param(f"{_forged_body()}.{_signature()}", id="body-changed"),
        pytest.param(encode_cursor(LAST_KEY, SCOPE, "another-secret"), id="signed-elsewhere"),
        pytest.param(encode_cursor(LAST_KEY, "clients:acme:u-luis", SECRET), id="other-scope"),
        pytest.param(encode_cursor(LAST_KEY, "clients:globex:*", SECRET), id="other-tenant"),
        pytest.param("not-a-cursor", id="garbage"),
        pytest.param(".", id="dot"),
    ],
)
def test_a_cursor_not_issued_for_this_listing_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        decode_cursor(cursor, SCOPE, SECRET)

    assert [e.field for e in exc.value.errors] == ["cursor"]


def test_a_cursor_with_non_ascii_characters_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInputError):
        decode_cursor("abc.é", SCOPE, SECRET)


# --- bearer tokens -------------------------------------------------------------------------

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test"
AUDIENCE = "crm-web"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key()


@pytest.fixture(scope="module")
def settings(key: SigningKey) -> Settings:
    return Settings(auth_jwks=key.jwks_json, auth_issuer=ISSUER, auth_audience=AUDIENCE)


def token(key: SigningKey, **kwargs: Any) -> str:
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "tenant": "acme",
        "user": "u-luis",
        "role": "sales",
        "name": "Luis Pérez",
    }
    return mint(key, **(values | kwargs))


def authenticate(header: str, settings: Settings) -> Principal:
    return principal_from_claims(verify_token(header, settings))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def claims_of(raw: str) -> dict[str, Any]:
    return dict(jwt.decode(raw, options={"verify_signature": False}))


def resigned(key: SigningKey, drop: str) -> str:
    """A properly signed token without the claim `drop`."""
    claims = claims_of(token(key))
    del claims[drop]
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def public_pem(key: SigningKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    public = jwt.PyJWK(key.jwks["keys"][0]).key
    return bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def test_a_valid_id_token_names_tenant_user_and_role(key: SigningKey, settings: Settings) -> None:
    principal = authenticate(f"Bearer {token(key)}", settings)

    assert principal == Principal(
        tenant_id="acme",
        user_id="u-luis",
        role=Role.SALES,
        name="Luis Pérez",
        email="u-luis@acme.example",
    )


def test_a_valid_access_token_carries_the_audience_in_client_id(
    key: SigningKey, settings: Settings
) -> None:
    raw = token(key, token_use="access")

    assert "aud" not in claims_of(raw)
    assert authenticate(f"Bearer {raw}", settings).user_id == "u-luis"


@pytest.mark.parametrize(
    ("groups", "role"),
    [(["sales", "admin", "manager"], Role.ADMIN), (["sales", "manager"], Role.MANAGER)],
)
def test_the_highest_role_of_several_groups_wins(
    key: SigningKey, settings: Settings, groups: list[str], role: Role
) -> None:
    raw = token(key, extra={"cognito:groups": groups})

    assert authenticate(f"Bearer {raw}", settings).role is role


def _tampered(key: SigningKey) -> str:
    header, _, signature = token(key).split(".")
    claims = claims_of(token(key)) | {"cognito:groups": ["admin"]}
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def _hs256_with_public_key(key: SigningKey) -> str:
    """Algorithm confusion: HMAC-signed with the public key, which everyone has."""
    signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims_of(token(key)))
    mac = hmac.new(public_pem(key), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


BadToken = Callable[[SigningKey], str]
# What a caller sends → a word of the reason they are given.
BAD_TOKENS: dict[str, tuple[BadToken, str]] = {
    "expired": (lambda k: f"Bearer {token(k, ttl_seconds=-300)}", "expired"),
    "wrong-issuer": (lambda k: f"Bearer {token(k, issuer='https://evil.example')}", "issued"),
    "wrong-audience": (lambda k: f"Bearer {token(k, audience='another-app')}", "application"),
    "wrong-client-id": (
        lambda k: f"Bearer {token(k, audience='another-app', token_use='access')}",
        "application",
    ),
    "unknown-kid": (lambda k: f"Bearer {token(generate_key())}", "unknown key"),
    "alg-none": (
        lambda k: f"Bearer {unsigned({'alg': 'none', 'kid': k.kid}, claims_of(token(k)))}.",
        "RS256",
    ),
    "hs256-public-key": (lambda k: f"Bearer {_hs256_with_public_key(k)}", "RS256"),
    "tampered-payload": (lambda k: f"Bearer {_tampered(k)}", "Signature"),
    "no-bearer": (lambda k: token(k), "Bearer"),
    "basic-scheme": (lambda k: f"Basic {token(k)}", "Bearer"),
    "empty": (lambda k: "", "Bearer"),
    "not-a-jwt": (lambda k: "Bearer hello", "not a JWT"),
    "no-tenant": (lambda k: f"Bearer {resigned(k, 'custom:tenant_id')}", "organisation"),
    "tenant-with-separator": (lambda k: f"Bearer {token(k, tenant='acme#C#x')}", "organisation"),
    "no-role-group": (lambda k: f"Bearer {resigned(k, 'cognito:groups')}", "no role"),
    "unknown-role": (lambda k: f"Bearer {token(k, role='superuser')}", "no role"),
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_a_token_that_should_not_be_trusted_is_unauthorized(
    key: SigningKey, settings: Settings, case: str
) -> None:
    build, reason = BAD_TOKENS[case]

    with pytest.raises(UnauthorizedError) as exc:
        authenticate(build(key), settings)

    assert reason in exc.value.detail
