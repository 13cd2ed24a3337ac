"""Signing keys and bearer tokens for the local stack and the tests.

In AWS, Cognito signs the tokens; here a key pair of our own does, and the API checks
them against its public half (AUTH_JWKS), exactly as it checks Cognito's.

`python -m local.tokens --tenant school --user u-admin --role admin` (or `make token`)
mints a token for the running local stack.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL_DIR = Path(__file__).resolve().parent.parent / ".local"
KEY_FILE = LOCAL_DIR / "signing-key.json"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str
    jwks: dict[str, Any]

    @property
    def jwks_json(self) -> str:
        return json.dumps(self.jwks)


def generate_key() -> SigningKey:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = uuid.uuid4().hex[:16]
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public.update(kid=kid, alg="RS256", use="sig")
    return SigningKey(kid=kid, private_pem=pem, jwks={"keys": [public]})


def load_or_create_key(path: Path = KEY_FILE) -> SigningKey:
    if path.exists():
        data = json.loads(path.read_text())
        return SigningKey(kid=data["kid"], private_pem=data["private_pem"], jwks=data["jwks"])
    key = generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(key.__dict__))
    path.chmod(0o600)
    return key


def mint(
    key: SigningKey,
    *,
    issuer: str,
    audience: str,
    tenant: str,
    user: str,
    role: str,
    name: str = "",
    email: str = "",
    ttl_seconds: int = 12 * 3600,
    token_use: str = "id",  # noqa: S107
    extra: dict[str, Any] | None = None,
) -> str:
    """A Cognito-shaped token: sub, email, name, custom:tenant_id, cognito:groups."""
    import jwt

    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user,
        "iss": issuer,
        "iat": now,
        "exp": now + ttl_seconds,
        "token_use": token_use,
        "custom:tenant_id": tenant,
        "cognito:groups": [role],
        "name": name or user,
        "email": email or f"{user}@{tenant}.example",
    }
    claims["aud" if token_use == "id" else "client_id"] = audience
    claims.update(extra or {})
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def stage_env(stage: str = "dev") -> dict[str, str]:
    """The environment `.chalice/config.json` gives a stage."""
    config = json.loads(
        (Path(__file__).resolve().parent.parent / ".chalice" / "config.json").read_text()
    )
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description="Mint a bearer token for the local stack.")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--role", required=True, choices=["admin", "manager", "sales"])
    parser.add_argument("--name", default="")
    parser.add_argument("--hours", type=float, default=12)
    args = parser.parse_args()
    if not KEY_FILE.exists():
        raise SystemExit("No local signing key yet: start the local stack once with `make run`.")
    env = stage_env("dev")
    print(
        mint(
            load_or_create_key(),
            issuer=env["AUTH_ISSUER"],
            audience=env["AUTH_AUDIENCE"],
            tenant=args.tenant,
            user=args.user,
            role=args.role,
            name=args.name,
            ttl_seconds=int(args.hours * 3600),
        )
    )


if __name__ == "__main__":
    main()
