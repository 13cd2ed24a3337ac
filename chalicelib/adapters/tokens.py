"""Bearer JWT verification against a JWKS (Cognito's in AWS; a local key pair otherwise)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.errors import UnauthorizedError
from chalicelib.domain.principal import Principal, Role

ALGORITHM = "RS256"
_ROLE_ORDER = (Role.ADMIN, Role.MANAGER, Role.SALES)


@lru_cache(maxsize=4)
def _inline_keys(jwks_json: str) -> dict[str, Any]:
    import jwt

    keys = jwt.PyJWKSet.from_dict(json.loads(jwks_json)).keys
    return {k.key_id: k for k in keys if k.key_id}


@lru_cache(maxsize=4)
def _remote_keys(url: str) -> Any:
    import jwt

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def _signing_key(kid: str, settings: Settings) -> Any:
    import jwt

    if settings.auth_jwks:
        key = _inline_keys(settings.auth_jwks).get(kid)
        if key is None:
            raise UnauthorizedError("The token was signed with an unknown key.")
        return key
    if not settings.auth_jwks_url:
        raise UnauthorizedError("Sign-in is not configured on this stage.")
    try:
        return _remote_keys(settings.auth_jwks_url).get_signing_key(kid)
    except jwt.PyJWKClientError as exc:
        raise UnauthorizedError("The token was signed with an unknown key.") from exc


def verify_token(header_value: str | None, settings: Settings) -> dict[str, Any]:
    """The token's claims, or UnauthorizedError saying what is wrong with it."""
    import jwt

    scheme, _, token = (header_value or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Send the header 'Authorization: Bearer <token>'.")
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise UnauthorizedError("The bearer token is not a JWT.") from exc
    if header.get("alg") != ALGORITHM:
        raise UnauthorizedError(f"The token must be signed with {ALGORITHM}.")
    key = _signing_key(str(header.get("kid", "")), settings)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[ALGORITHM],
            issuer=settings.auth_issuer,
            options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
            leeway=30,
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("The token has expired; sign in again.") from exc
    except jwt.InvalidIssuerError as exc:
        raise UnauthorizedError("The token was issued by someone else.") from exc
    except jwt.PyJWTError as exc:
        raise UnauthorizedError(f"The token is not valid: {exc}.") from exc
    _check_audience(claims, settings)
    return claims


def _check_audience(claims: dict[str, Any], settings: Settings) -> None:
    use = claims.get("token_use")
    if use == "id":
        audience = claims.get("aud")
    elif use == "access":
        audience = claims.get("client_id")
    else:
        raise UnauthorizedError("token_use must be 'id' or 'access'.")
    if isinstance(audience, list):
        ok = settings.auth_audience in audience
    else:
        ok = audience == settings.auth_audience
    if not ok:
        raise UnauthorizedError("The token was issued for another application.")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    from chalicelib.adapters.keys import is_valid_id

    tenant = claims.get("custom:tenant_id")
    user = claims.get("sub")
    if not isinstance(tenant, str) or not is_valid_id(tenant):
        raise UnauthorizedError("The token names no organisation (custom:tenant_id).")
    if not isinstance(user, str) or not is_valid_id(user):
        raise UnauthorizedError("The token names no user (sub).")
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [groups]
    role = next((r for r in _ROLE_ORDER if r.value in groups), None)
    if role is None:
        raise UnauthorizedError("The user has no role (admin, manager or sales).")
    return Principal(
        tenant_id=tenant,
        user_id=user,
        role=role,
        name=str(claims.get("name") or ""),
        email=str(claims.get("email") or ""),
    )


def principal_to_context(p: Principal) -> dict[str, str]:
    """API Gateway hands authorizer context on as strings only."""
    return {
        "tenant_id": p.tenant_id,
        "user_id": p.user_id,
        "role": p.role.value,
        "name": p.name,
        "email": p.email,
    }


def principal_from_context(context: dict[str, Any]) -> Principal:
    return Principal(
        tenant_id=str(context["tenant_id"]),
        user_id=str(context["user_id"]),
        role=Role(str(context["role"])),
        name=str(context.get("name") or ""),
        email=str(context.get("email") or ""),
    )
