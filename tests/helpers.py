"""A small HTTP client over chalice.test.Client: JSON in, JSON out, a bearer token per user."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"<Reply {self.status} {self.body!r}>"


class Api:
    def __init__(
        self,
        client: Any,
        token_factory: Any,
        user: str = "u-admin",
        role: str = "admin",
        tenant: str = "acme",
        name: str | None = None,
    ) -> None:
        self.client = client
        self.token_factory = token_factory
        self.user, self.role, self.tenant = user, role, tenant
        extra = {"name": name} if name else {}
        self.token = token_factory(user=user, role=role, tenant=tenant, **extra)

    def as_(self, user: str, role: str, tenant: str = "acme", name: str | None = None) -> Api:
        return Api(self.client, self.token_factory, user, role, tenant, name)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        auth: bool = True,
    ) -> Reply:
        sent = {"Content-Type": "application/json"}
        if auth:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        response = self.client.http.request(method, path, headers=sent, body=payload)
        text = response.body.decode() if response.body else ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(response.status_code, dict(response.headers), parsed)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PATCH", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)
