"""docs/api.md lists every route the app serves."""

from __future__ import annotations

import re
from pathlib import Path

from app import app

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_route_is_in_docs_api_md():
    rows = set(
        re.findall(
            r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", API_DOC.read_text(), re.MULTILINE
        )
    )
    served = {(m, p) for p, methods in app.routes.items() for m in methods}
    assert served == rows
