"""The built-in authorizer: verifies the bearer JWT and hands the principal on."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from chalice.app import AuthRequest, AuthResponse, Blueprint

from chalicelib.config import get_settings
from chalicelib.domain.errors import UnauthorizedError

auth_bp = Blueprint(__name__)


def _reject(detail: str) -> NoReturn:
    """401. API Gateway answers 401 when an authorizer fails with 'Unauthorized'; the
    local gateway (chalice local, chalice.test) needs its own exception, which also
    lets it return the reason as problem+json."""
    try:
        from chalice.local import NotAuthorizedError
    except ImportError:  # in Lambda only chalice.app is packaged
        raise Exception("Unauthorized") from None
    body = {
        "type": "urn:crm:problem:unauthorized",
        "title": "Sign-in required",
        "status": 401,
        "detail": detail,
    }
    headers = {"Content-Type": "application/problem+json"}
    raise NotAuthorizedError(headers, json.dumps(body).encode())


@auth_bp.authorizer(name="jwt_auth", ttl_seconds=300)
def jwt_auth(auth_request: AuthRequest) -> AuthResponse:
    from chalicelib.adapters.tokens import (
        principal_from_claims,
        principal_to_context,
        verify_token,
    )

    try:
        principal = principal_from_claims(verify_token(auth_request.token, get_settings()))
    except UnauthorizedError as exc:
        _reject(exc.detail)
    context: Any = principal_to_context(principal)
    return AuthResponse(routes=["*"], principal_id=principal.user_id, context=context)
