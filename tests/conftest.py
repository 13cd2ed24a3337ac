"""Shared fixtures: a fresh fake AWS (moto) per test, built from infra/, and signed tokens."""

from __future__ import annotations

import os

# Before boto3, pynamodb or moto are imported: never reach a real or local endpoint.
for _var in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")] + ["AWS_PROFILE"]:
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1",
)

from collections.abc import Callable, Iterator  # noqa: E402

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from local.tokens import SigningKey, generate_key, mint, stage_env  # noqa: E402

TEST_ENV = stage_env("test")
os.environ.update(TEST_ENV)
SIGNING_KEY: SigningKey = generate_key()
os.environ["AUTH_JWKS"] = SIGNING_KEY.jwks_json

from chalicelib.api import deps  # noqa: E402
from chalicelib.config import get_settings  # noqa: E402
from local.infra import create_resources  # noqa: E402
from tests.helpers import Api  # noqa: E402


@pytest.fixture(scope="session")
def boto_session() -> object:
    """Clients are expensive to build; moto intercepts them in every mock_aws() context."""
    import boto3

    return boto3.session.Session(region_name=os.environ["AWS_DEFAULT_REGION"])


@pytest.fixture(autouse=True)
def aws(boto_session: object) -> Iterator[None]:
    """A fresh embedded AWS with the resources of infra/ for every test."""
    get_settings.cache_clear()
    with mock_aws():
        deps.reset()
        create_resources(get_settings(), boto_session)
        yield


TokenFactory = Callable[..., str]


@pytest.fixture
def token() -> TokenFactory:
    def make(
        user: str = "u-admin", role: str = "admin", tenant: str = "acme", **kwargs: object
    ) -> str:
        kwargs.setdefault("name", user.replace("u-", "").title())
        return mint(
            SIGNING_KEY,
            issuer=TEST_ENV["AUTH_ISSUER"],
            audience=TEST_ENV["AUTH_AUDIENCE"],
            tenant=tenant,
            user=user,
            role=role,
            **kwargs,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture(scope="session")
def chalice_client() -> object:
    from chalice.test import Client

    from app import app

    return Client(app, stage_name="test")


@pytest.fixture
def api(chalice_client: object, token: TokenFactory) -> Api:
    """The HTTP API as the admin of tenant `acme`; `.as_(...)` for anyone else."""
    return Api(chalice_client, token)
