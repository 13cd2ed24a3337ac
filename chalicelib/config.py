"""One settings object, read from the environment.

Each Chalice stage fills the environment from `.chalice/config.json`; in AWS the
resource names come from `infra/template.json`. Every default is harmless, so
`chalice package` and the tests can import the app with nothing set.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field

from chalicelib.domain.model import Model


class Settings(Model):
    stage: str = "dev"
    aws_region: str = "eu-west-1"
    table_name: str = ""
    import_bucket: str = ""
    export_bucket: str = ""
    import_queue_url: str = ""
    export_queue_url: str = ""  # empty: looked up by its name, crm-exports (local, tests)

    # Sign-in: a Cognito user pool in AWS; a key pair of our own locally.
    auth_issuer: str = ""
    auth_audience: str = ""
    auth_jwks_url: str = ""
    auth_jwks: str = Field(default="", description="inline JWKS JSON (local stack, tests)")

    cursor_secret: str = "local-only-cursor-secret"  # noqa: S105 (AWS: from Secrets Manager)
    cors_origin: str = "*"
    frontend_url: str = "http://localhost:3000"

    # Tenant defaults until an admin changes them in /settings.
    default_phone_region: str = "ES"
    default_timezone: str = "Europe/Madrid"
    default_language: str = "es"

    # Reminder emails (SES): the sender, an identity verified in SES.
    mail_from: str = "CRM <reminders@crm.local>"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        region = source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION")
        values: dict[str, str] = {}
        for name in cls.model_fields:
            raw = source.get(name.upper())
            if raw is not None:
                values[name] = raw
        if region and "aws_region" not in values:
            values["aws_region"] = region
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
